import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { event, insert } from '../support/pipeline.js';
import { localS3 } from '../support/s3Server.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

const QUARANTINED_AT = new Date('2026-12-01T11:00:00Z');

const item = (id: string, soc: number) =>
  JSON.stringify({
    event_id: id,
    recorded_at: '2026-12-01T10:00:00Z',
    vehicle: { id: 'veh-1', make: 'TESLA' },
    signals: [{ code: 'tractionbattery-stateofcharge', body: { value: soc, unit: 'percent' } }],
  });

/**
 * An entry as an earlier release wrote it, for a record today's rules accept: what a rules fix leaves behind. It is
 * in the documented entry format (docs/operations.md, "Quarantine").
 */
function writeOldEntry(data: string, hash: string, text: string, position: number): void {
  const path = join(data, 'quarantine', 'telemetry', 'records', hash.slice(0, 2), `${hash}.ndjson`);
  mkdirSync(dirname(path), { recursive: true });
  const entry = {
    reason: 'signals must not be empty (rule of an earlier release)',
    source: {
      object: 'raw/telemetry/2026/12/01/10/gone.ndjson.gz',
      line: position,
      file: 'old.ndjson',
      position,
    },
    record: text,
  };
  writeFileSync(path, `${JSON.stringify(entry)}\n`);
  // Its raw object is gone from the archive: the replay keys it by its quarantine time, which a crash keeps.
  utimesSync(path, QUARANTINED_AT, QUARANTINED_AT);
}

describe('telemetry quarantine', () => {
  const data = join(tmp.path, 'data');
  const hashA = 'a1'.padEnd(32, '0');
  const hashB = 'b2'.padEnd(32, '0');

  it('lists every entry with its reason, source object and line, and when; show prints the original text', async () => {
    // Prepare: one good record, one that fails today's rules (no signals); then two entries an older rule wrote.
    const input = join(tmp.path, 'events.ndjson');
    writeFileSync(input, `${item('ev-good', 80)}\n{"event_id": "ev-bad", "vehicle": {"id": "veh-1"}}\n`);
    const run = await cli(['run', '--input', input, '--data-dir', data, '--json']);
    expect(run.code, run.stderr).toBe(0);
    writeOldEntry(data, hashA, item('ev-fixed-1', 55), 1);
    writeOldEntry(data, hashB, item('ev-fixed-2', 56), 2);

    // Act
    const list = await cli(['quarantine', 'list', '--data-dir', data, '--json']);
    const human = await cli(['quarantine', 'list', '--data-dir', data]);
    const show = await cli(['quarantine', 'show', hashA.slice(0, 8), '--data-dir', data]);

    // Assess
    expect(list.code, list.stderr).toBe(0);
    const entries = JSON.parse(list.stdout) as {
      id: string;
      reason: string;
      source: { line: number };
      at: string;
    }[];
    expect(entries).toHaveLength(3);
    const bad = entries.find((e) => e.reason === 'signals is missing');
    expect(bad?.source).toMatchObject({ line: 2, file: input, position: 2 });
    expect(bad?.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(human.stdout).toMatch(/^telemetry quarantine: 3 entries\n/);
    expect(human.stdout).toContain(`events.ndjson:2)\n    signals is missing\n`);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`id       ${hashA}\n`);
    expect(show.stdout).toContain(`record\n${item('ev-fixed-1', 55)}\n`);
  });

  it('replay re-ingests what now parses, keeps what still fails, and a second replay changes nothing', async () => {
    // Prepare
    const before = await tableContent(join(data, 'warehouse.duckdb'));

    // Act
    const dry = await cli(['quarantine', 'replay', '--dry-run', '--data-dir', data, '--json']);
    const first = await cli(['quarantine', 'replay', '--data-dir', data, '--json']);
    const afterFirst = await tableContent(join(data, 'warehouse.duckdb'));
    const second = await cli(['quarantine', 'replay', '--data-dir', data]);
    const afterSecond = await tableContent(join(data, 'warehouse.duckdb'));

    // Assess: the dry run wrote nothing; the replay loaded the two fixed records exactly once.
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      entries: 3,
      replayed: 2,
      kept: 1,
      removed: 0,
    });
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({
      entries: 3,
      replayed: 2,
      kept: 1,
      keptByReason: { 'signals is missing': 1 },
      removed: 2,
      process: { records: 2, inserted: 2, quarantined: 0 },
    });
    expect(before.map((r) => r.event_id)).toEqual(['ev-good']);
    expect(afterFirst.map((r) => r.event_id)).toEqual(['ev-fixed-1', 'ev-fixed-2', 'ev-good']);
    expect(afterFirst.find((r) => r.event_id === 'ev-fixed-2')).toMatchObject({
      TractionBattery_StateOfCharge_value: 56,
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(
      'replayed 0, removed from quarantine 0\n  kept 1\n    1 signals is missing',
    );
    expect(afterSecond).toEqual(afterFirst);
    expect(files(join(data, 'quarantine'))).toHaveLength(1);
    expect(files(join(data, 'raw'))).toEqual([]);
  });

  it('a replay interrupted after the load (entries still there) loads nothing twice', async () => {
    // Prepare: the same old entries again, as if the first replay had died before removing them.
    writeOldEntry(data, hashA, item('ev-fixed-1', 55), 1);
    writeOldEntry(data, hashB, item('ev-fixed-2', 56), 2);
    const before = await tableContent(join(data, 'warehouse.duckdb'));

    // Act
    const again = await cli(['quarantine', 'replay', '--data-dir', data, '--json']);

    // Assess: the same raw object name, already in the ledger: recovered, not loaded again; entries removed.
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      replayed: 2,
      removed: 2,
      process: { records: 0, inserted: 0, objectsRecovered: 1 },
    });
    expect(await tableContent(join(data, 'warehouse.duckdb'))).toEqual(before);
  });

  it('show names an unknown id; a missing action is wrong usage', async () => {
    const show = await cli(['quarantine', 'show', 'ffffff', '--data-dir', data]);
    const none = await cli(['quarantine', '--data-dir', data]);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain("no entry 'ffffff'");
    expect(none.code).toBe(2);
  });
});

describe('telemetry quarantine --bucket (the S3 server of telemetry dev)', () => {
  const s3 = localS3(['data']);

  it('lists and shows the entries the process stage wrote to the bucket; a replay there is a dry run only', async () => {
    // Prepare: one raw object in the bucket with a good record and one without signals, processed
    const store = s3.store('data');
    const bucket = ['--bucket', 'data', '--endpoint', s3.endpoint];
    await captureBatch([insert(event('good', 1), 1), insert({ event_id: 'bad' }, 2)], store, {
      rawPrefix: 'telemetry/',
      source: 's',
    });
    const processed = await cli(['process', ...bucket, '--data-dir', join(s3.dir, 'data')]);

    // Act
    const list = await cli(['quarantine', 'list', ...bucket, '--json']);
    const entries = JSON.parse(list.stdout) as { id: string; reason: string; source: { object: string } }[];
    const show = await cli(['quarantine', 'show', entries[0]?.id.slice(0, 8) ?? '', ...bucket]);
    const dryRun = await cli(['quarantine', 'replay', '--dry-run', ...bucket, '--json']);
    const replay = await cli(['quarantine', 'replay', ...bucket]);

    // Assess
    expect(processed.code, processed.stderr).toBe(0);
    expect(list.code, list.stderr).toBe(0);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.source.object).toMatch(/^telemetry\/.*\.ndjson\.gz$/);
    expect(entries[0]?.reason).not.toBe('');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`entry    s3://data/quarantine/telemetry/records/`);
    expect(show.stdout).toContain('"bad"');
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ dryRun: true, entries: 1, replayed: 0, kept: 1 });
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain('--dry-run');
  }, 60_000);
});
