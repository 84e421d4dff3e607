import { cpSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { cli, tempDir } from '../support/cli.js';
import { DatabricksFake } from '../support/databricksFake.js';
import { event, insert } from '../support/pipeline.js';
import { localS3 } from '../support/s3Server.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('telemetry status', () => {
  it('says what is pending (and how old), quarantined by reason, archived, staged and loaded', async () => {
    // Prepare: a run with one damaged line, then one raw object put back as if it had just been captured.
    const data = join(tmp.path, 'data');
    const sample = await cli(['sample', '--events', '30', '--vehicles', '2']);
    const input = join(tmp.path, 'events.ndjson');
    writeFileSync(input, `${sample.stdout}{"eventId": "broken", \n`);
    const corrupt = join(data, 'raw', 'telemetry', '2026', '12', '01', '09', 'corrupt.ndjson.gz');
    mkdirSync(dirname(corrupt), { recursive: true });
    writeFileSync(corrupt, 'not gzip at all');
    const run = await cli(['run', '--input', input, '--data-dir', data, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const loaded = (JSON.parse(run.stdout) as { process: { inserted: number } }).process;
    const archived = files(join(data, 'archive'));
    const back = join(data, 'raw', 'telemetry', '2026', '12', '02', '10', 'replayed.ndjson.gz');
    mkdirSync(dirname(back), { recursive: true });
    cpSync(archived[0] as string, back);

    // Act
    const json = await cli(['status', '--data-dir', data, '--json']);
    const human = await cli(['status', '--data-dir', data]);

    // Assess
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.pending).toMatchObject({ objects: 1 });
    expect(status.pending.oldestAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The damaged line and the unreadable object: two entries, each counted once with its reason.
    expect(status.quarantine.entries).toBe(2);
    expect(Object.values(status.quarantine.byReason)).toEqual([1, 1]);
    expect(Object.keys(status.quarantine.byReason).some((r) => r.startsWith('unreadable object'))).toBe(true);
    expect(status.archived.objects).toBe(archived.length);
    expect(status.table).toMatchObject({ name: 'telemetry.car_telemetry_flattened', rows: loaded.inserted });
    expect(status.table.loadedObjects).toBeGreaterThan(0);
    expect(status.table.lastLoadAt).toMatch(/Z$/);
    expect(human.stdout).toMatch(/pending {5}1 raw object\(s\), [\d.]+ MiB, oldest .*Z \(\d+ min ago\)/);
    expect(human.stdout).toMatch(/quarantine {2}2 entries: 1 .*, 1 /);
    expect(human.stdout).toContain(`${loaded.inserted} rows`);
  });

  it('shows the newest recorded_at and events per make over the last 24 h; exit 1 past a threshold', async () => {
    // Prepare: events 1 h and 2 h old, one 30 h old (outside the 24 h), one broken line; then a raw object
    // waiting for an hour.
    const data = join(tmp.path, 'thresholds');
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const event = (id: string, make: string, h: number) =>
      JSON.stringify({
        event_id: id,
        recorded_at: hoursAgo(h),
        vehicle: { id: `v-${id}`, make },
        signals: [],
      });
    const input = join(tmp.path, 'recent.ndjson');
    writeFileSync(
      input,
      [
        event('a', 'TESLA', 1),
        event('b', 'TESLA', 1.5),
        event('c', 'POLESTAR', 2),
        event('d', 'TESLA', 30),
        '{"x": 1}',
      ].join('\n'),
    );
    expect((await cli(['run', '--input', input, '--data-dir', data])).code).toBe(0);
    const healthy = await cli(['status', '--data-dir', data, '--json']);
    const waiting = join(data, 'raw', 'telemetry', '2026', '12', '01', '09', 'waiting.ndjson.gz');
    mkdirSync(dirname(waiting), { recursive: true });
    cpSync(files(join(data, 'archive'))[0] as string, waiting);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(waiting, hourAgo, hourAgo);

    // Act
    const lagging = await cli(['status', '--data-dir', data, '--json']);
    const relaxed = await cli(['status', '--data-dir', data, '--max-lag', '2h']);
    const strict = await cli([
      'status',
      '--data-dir',
      data,
      '--max-lag',
      '2h',
      '--max-quarantined',
      '0',
      '--max-age',
      '30m',
    ]);
    const wrong = await cli(['status', '--data-dir', data, '--max-lag', 'soon']);

    // Assess
    expect(healthy.code, healthy.stderr).toBe(0);
    const before = JSON.parse(healthy.stdout);
    expect(before).toMatchObject({ healthy: true, problems: [] });
    expect(before.table.eventsPerMake24h).toEqual({ TESLA: 2, POLESTAR: 1 });
    expect(before.table.lastBatch).toMatchObject({ objects: 1 });
    expect(Date.parse(before.table.newestRecordedAt)).toBeGreaterThan(Date.now() - 3_700_000);
    expect(lagging.code).toBe(1);
    const after = JSON.parse(lagging.stdout);
    expect(after.healthy).toBe(false);
    expect(after.problems).toEqual([
      expect.stringMatching(/^oldest pending raw object is 60 min old \(max 15 min\)/),
    ]);
    expect(after.pending.lagSeconds).toBeGreaterThanOrEqual(3600);
    expect(relaxed.code, relaxed.stdout).toBe(0);
    expect(relaxed.stdout).toMatch(/: healthy\n/);
    expect(relaxed.stdout).toMatch(/newest {6}recorded_at \S+Z \(60 min ago\)/);
    expect(relaxed.stdout).toContain('last 24 h   3 event(s): 2 TESLA, 1 POLESTAR');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(
      /NEEDS ATTENTION \(2\)\n {2}! 1 quarantine entries \(max 0\).*\n {2}! newest recorded_at is 60 min old \(max 30 min\)/,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--max-lag must be a duration such as 90s, 15m, 2h or 1d, got 'soon'");
  });

  it('every command finds the data folder in TELEMETRY_DATA_DIR when --data-dir is not given', async () => {
    // Prepare
    const env = { TELEMETRY_DATA_DIR: join(tmp.path, 'from-env') };
    // Act
    const run = await cli(['run', '--events', '10', '--json'], env, tmp.path);
    const status = await cli(['status', '--json'], env, tmp.path);
    const query = await cli(
      ['query', '--format', 'json', 'SELECT count(*) AS n FROM telemetry.car_telemetry_flattened'],
      env,
      tmp.path,
    );
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(status.stdout).dataDir).toBe(env.TELEMETRY_DATA_DIR);
    expect(JSON.parse(query.stdout)).toEqual([{ n: '10' }]);
  });

  it('names a missing data folder instead of printing zeros', async () => {
    const r = await cli(['status', '--data-dir', join(tmp.path, 'nowhere')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no data folder at .*nowhere/);
  });
});

describe('telemetry status --bucket (the S3 server of telemetry dev)', () => {
  const s3 = localS3(['data', 'data-failed']);

  it('reads pending, quarantined, archived and failed-records objects from the buckets; the table with --sink duckdb', async () => {
    // Prepare: a processed object with one good and one bad record, one object still pending, one failed batch
    const store = s3.store('data');
    const failed = s3.store('data-failed');
    const data = join(s3.dir, 'data');
    const bucket = ['--bucket', 'data', '--endpoint', s3.endpoint];
    await captureBatch([insert(event('a', 1), 1), insert({ event_id: 'bad' }, 2)], store, {
      rawPrefix: 'telemetry/',
      source: 's',
    });
    const processed = await cli(['process', ...bucket, '--data-dir', data]);
    await captureBatch([insert(event('b', 2), 3)], store, { rawPrefix: 'telemetry/', source: 's' });
    await failed.put('aws/lambda/uuid/shardId-1/2026/12/05/2026-12-05T05.00.00-abc', Buffer.from('{}'));

    // Act
    const json = await cli(['status', ...bucket, '--failed-bucket', 'data-failed', '--json']);
    const human = await cli(['status', ...bucket, '--sink', 'duckdb', '--data-dir', data]);
    const databricks = await cli(['status', ...bucket, '--sink', 'databricks']);

    // Assess
    expect(processed.code, processed.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(1); // a failed-records object needs attention
    const status = JSON.parse(json.stdout);
    expect(status).toMatchObject({
      bucket: 's3://data/',
      healthy: false,
      pending: { objects: 1 },
      quarantine: { entries: 1 },
      archived: { objects: 1 },
      failedRecords: { objects: 1 },
      table: { note: expect.stringContaining('not read') },
    });
    expect(status.pending.oldestAt).toMatch(/Z$/);
    expect(status.problems).toEqual([expect.stringContaining('1 failed-records object(s)')]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('telemetry status: s3://data/: healthy');
    expect(human.stdout).toMatch(/pending {5}1 raw object\(s\)/);
    expect(human.stdout).toContain('telemetry.car_telemetry_flattened: 1 rows');
    expect(databricks.stdout).toMatch(/table +not read: .*DATABRICKS/);
  }, 60_000);

  it('--sink databricks reads the Unity Catalog table through the SQL warehouse (read-only)', async () => {
    // Prepare: a deployed table with two rows and a ledger entry, in the Databricks fake's warehouse
    const fake = await new DatabricksFake().start();
    const env = {
      DATABRICKS_HOST: fake.host,
      DATABRICKS_WAREHOUSE_ID: fake.warehouseId,
      DATABRICKS_TOKEN: fake.token,
    };
    try {
      expect((await cli(['deploy', 'databricks'], env)).code).toBe(0);
      const recent = new Date(Date.now() - 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
      await fake.connection.run(
        `INSERT INTO uc_main.telemetry.car_telemetry_flattened (event_id, vehicle_make, recorded_at)
         VALUES ('a', 'TESLA', TIMESTAMP '${recent}'), ('b', NULL, TIMESTAMP '2020-01-01 00:00:00')`,
      );
      await fake.connection.run(
        `INSERT INTO uc_main.telemetry._telemetry_load_ledger VALUES ('b1', 'telemetry/x.ndjson.gz', TIMESTAMP '${recent}')`,
      );
      // Act
      const r = await cli(
        ['status', '--bucket', 'data', '--endpoint', s3.endpoint, '--sink', 'databricks', '--json'],
        env,
      );
      // Assess
      const table = JSON.parse(r.stdout).table;
      expect(table).toMatchObject({
        name: 'main.telemetry.car_telemetry_flattened',
        rows: 2,
        loadedObjects: 1,
        lastBatch: { id: 'b1', objects: 1 },
        eventsPerMake24h: { TESLA: 1 },
      });
      expect(table.newestRecordedAt).toMatch(/Z$/);
    } finally {
      await fake.stop();
    }
  }, 60_000);

  it('says which options need --bucket', async () => {
    expect((await cli(['status', '--failed-bucket', 'f'])).code).toBe(2);
    expect((await cli(['status', '--bucket', 'b', '--sink', 'sqlite'])).code).toBe(2);
  });
});
