import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { processedCount, startDev } from '../support/devProcess.js';

describe('telemetry dev', () => {
  const dirs: { cleanup: () => void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('starts a local AWS; `dev put` items arrive in the local table; Ctrl-C stops everything', async () => {
    const data = tempDir();
    dirs.push(data);
    const dev = startDev(data.path);
    try {
      await dev.waitFor((s) => s.includes('ready:'));
      expect(dev.output()).toMatch(
        /DynamoDB Local {2}http:\/\/127\.0\.0\.1:\d+ {2}table chargeminder-car-telemetry/,
      );
      expect(dev.output()).toMatch(/S3 server {7}http:\/\/127\.0\.0\.1:\d+ {2}bucket chargeminder-telemetry/);

      const put = await cli(['dev', 'put', '--count', '30', '--seed', '5', '--data-dir', data.path]);
      expect(put.code).toBe(0);
      const [, inserted, updated, deleted, records] =
        put.stdout.match(
          /(\d+) items written, (\d+) re-delivered with new content, (\d+) deleted \((\d+) stream records\)/,
        ) ?? [];
      expect(Number(records)).toBe(Number(inserted) + Number(updated) + Number(deleted));
      const json = await cli([
        'dev',
        'put',
        '--count',
        '5',
        '--seed',
        '6',
        '--data-dir',
        data.path,
        '--json',
      ]);
      expect(json.code).toBe(0);
      const more = JSON.parse(json.stdout);
      expect(more).toMatchObject({ table: 'chargeminder-car-telemetry', inserted: 5 });
      expect(more.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);

      await dev.waitFor((s) => processedCount(s, 'records') >= Number(records) + more.streamRecords);
      expect(dev.output()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z {2}ready:/m);
    } finally {
      dev.stop();
    }
    expect(await dev.exit).toBe(0);
    expect(dev.output()).toContain('telemetry dev: stopped');
    expect(existsSync(`${data.path}/dev/endpoints.json`)).toBe(false);

    const rows = await tableContent(`${data.path}/warehouse.duckdb`);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
  });

  it('`dev put` without a running local AWS says how to start one', async () => {
    const data = tempDir();
    dirs.push(data);
    const r = await cli(['dev', 'put', '--data-dir', data.path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("start 'telemetry dev' first");
  });
});
