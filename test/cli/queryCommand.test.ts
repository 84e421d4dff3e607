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
});
