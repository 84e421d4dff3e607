import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';

const tmp = tempDir();
const data = join(tmp.path, 'data');
beforeAll(async () => {
  await cli(['run', '--events', '5', '--data-dir', data]);
}, 60_000);
afterAll(() => tmp.cleanup());

describe('telemetry query', () => {
  it('prints SQL NULL as NULL in table and csv output, null in json', async () => {
    // Act
    const sql = "SELECT NULL AS missing, 'x' AS present";
    const table = await cli(['query', '--data-dir', data, sql]);
    const csv = await cli(['query', '--data-dir', data, '--format', 'csv', sql]);
    const json = await cli(['query', '--data-dir', data, '--format', 'json', sql]);
    // Assess
    expect(table.stdout.split('\n')[2]).toBe('NULL    │ x      ');
    expect(csv.stdout).toBe('missing,present\nNULL,x\n');
    expect(JSON.parse(json.stdout)).toEqual([{ missing: null, present: 'x' }]);
  });

  it('--json is --format json; timestamps print as ISO 8601 with Z in every format', async () => {
    // Act
    const sql =
      "SELECT TIMESTAMP '2025-11-25 20:00:07.5' AS at, TIMESTAMPTZ '2025-11-25 20:00:07+00' AS tz, max(recorded_at) AS newest FROM telemetry.car_telemetry_flattened";
    const json = await cli(['query', '--data-dir', data, '--json', sql]);
    const asFormat = await cli(['query', '--data-dir', data, '--format', 'json', sql]);
    const csv = await cli(['query', '--data-dir', data, '--format', 'csv', sql]);
    const table = await cli(['query', '--data-dir', data, sql]);
    const both = await cli(['query', '--data-dir', data, '--json', '--format', 'csv', sql]);
    // Assess
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe(asFormat.stdout);
    const [row] = JSON.parse(json.stdout);
    expect(row).toMatchObject({ at: '2025-11-25T20:00:07.5Z', tz: '2025-11-25T20:00:07Z' });
    expect(row.newest).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(csv.stdout.split('\n')[1]).toMatch(/^2025-11-25T20:00:07\.5Z,2025-11-25T20:00:07Z,\d{4}-\S+Z$/);
    expect(table.stdout).toContain('2025-11-25T20:00:07.5Z');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--json and --format csv disagree');
  });
});
