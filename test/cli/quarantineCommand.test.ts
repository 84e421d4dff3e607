import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { quarantineReplay } from '../../src/process/quarantineReplay.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { dyingAtDelete, event, insert, unconverted } from '../support/pipeline.js';
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

    // Assess: the same raw object names, archived already: not written again, nothing loaded; entries removed.
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      replayed: 2,
      written: 0,
      removed: 2,
      process: { records: 0, inserted: 0 },
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
  const bucket = () => ['--bucket', 'data', '--endpoint', s3.endpoint];
  const dataDir = () => join(s3.dir, 'data');
  const keys = async (prefix: string) => {
    const out: string[] = [];
    for await (const o of s3.store('data').list(prefix)) out.push(o.key);
    return out;
  };
  /** The entries' objects as the process stage wrote them, to put back as if a replay died before removing them. */
  const saved = new Map<string, Uint8Array>();

  it('lists and shows the entries the process stage wrote to the bucket', async () => {
    // Prepare: one raw object in the bucket with a good record, one without signals and three an earlier capture
    // could not convert (what a rules fix leaves behind; one of them still fails, for another reason), processed
    const store = s3.store('data');
    await captureBatch(
      [
        insert(event('good', 1), 1),
        insert({ event_id: 'bad' }, 2),
        unconverted(event('fixed-1', 55), 3),
        unconverted(event('fixed-2', 56), 4),
        unconverted({ event_id: 'bad-2' }, 5),
      ],
      store,
      { rawPrefix: 'telemetry/', source: 's' },
    );
    const processed = await cli(['process', ...bucket(), '--data-dir', dataDir()]);
    for (const key of await keys('quarantine/')) saved.set(key, await store.get(key));

    // Act
    const list = await cli(['quarantine', 'list', ...bucket(), '--json']);
    const entries = JSON.parse(list.stdout) as { id: string; reason: string; source: { object: string } }[];
    const bad = entries.find((e) => !e.reason.includes('earlier release'));
    expect(entries.filter((e) => e.reason.includes('earlier release'))).toHaveLength(3);
    const show = await cli(['quarantine', 'show', bad?.id.slice(0, 8) ?? '', ...bucket()]);

    // Assess
    expect(processed.code, processed.stderr).toBe(0);
    expect(list.code, list.stderr).toBe(0);
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => /^telemetry\/.*\.ndjson\.gz$/.test(e.source.object))).toBe(true);
    expect(bad?.reason).not.toBe('');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`entry    s3://data/quarantine/telemetry/records/`);
    expect(show.stdout).toContain('"bad"');
  }, 60_000);

  it('replay hands what now parses to the process stage, which loads it exactly once; a second replay changes nothing', async () => {
    // Act
    const dryRun = await cli(['quarantine', 'replay', '--dry-run', ...bucket(), '--json']);
    const replay = await cli(['quarantine', 'replay', ...bucket(), '--json']);
    const pending = await keys('telemetry/');
    const processed = await cli(['process', ...bucket(), '--data-dir', dataDir(), '--json']);
    const second = await cli(['quarantine', 'replay', ...bucket()]);
    const processedAgain = await cli(['process', ...bucket(), '--data-dir', dataDir(), '--json']);
    const list = await cli(['quarantine', 'list', ...bucket(), '--json']);

    // Assess: the dry run wrote nothing; the replay wrote one raw object per fixed record and removed its entry
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({
      dryRun: true,
      entries: 4,
      replayed: 2,
      kept: 2,
      reasonsUpdated: 1,
      written: 0,
    });
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({
      dryRun: false,
      entries: 4,
      replayed: 2,
      kept: 2,
      reasonsUpdated: 1,
      written: 1,
      removed: 2,
      loaded: false,
      process: { records: 0 },
    });
    expect(pending).toHaveLength(1);
    expect(pending.every((k) => k.startsWith('telemetry/quarantine-replay/'))).toBe(true);
    expect(processed.code, processed.stderr).toBe(0);
    expect(JSON.parse(processed.stdout)).toMatchObject({
      objects: 1,
      records: 2,
      inserted: 2,
      quarantined: 0,
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('replayed 0, removed from quarantine 0\n  kept 2\n');
    expect(JSON.parse(processedAgain.stdout)).toMatchObject({ objects: 0, records: 0 });
    // What still fails stays, with today's reason
    const kept = JSON.parse(list.stdout) as { reason: string }[];
    expect(kept).toHaveLength(2);
    expect(kept.filter((e) => e.reason === '' || e.reason.includes('earlier release'))).toEqual([]);
    const table = await tableContent(join(dataDir(), 'warehouse.duckdb'));
    expect(table.map((r) => [r.event_id, r.TractionBattery_StateOfCharge_value])).toEqual([
      ['fixed-1', 55],
      ['fixed-2', 56],
      ['good', 1],
    ]);
  }, 60_000);

  it('a replay that died before removing its entries writes nothing twice when run again', async () => {
    // Prepare: the entries back, as if the replay had written the raw objects and stopped
    for (const [key, body] of saved) await s3.store('data').put(key, body);
    const before = await tableContent(join(dataDir(), 'warehouse.duckdb'));

    // Act
    const again = await cli(['quarantine', 'replay', ...bucket()]);
    const processed = await cli(['process', ...bucket(), '--data-dir', dataDir(), '--json']);

    // Assess: the raw objects are archived already: not written again, nothing to load
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('replayed 2, removed from quarantine 2\n');
    expect(again.stdout).toContain(
      '0 raw object(s) written to s3://data/telemetry/quarantine-replay/ (one already there is not written again): the process function loads them',
    );
    expect(JSON.parse(processed.stdout)).toMatchObject({ objects: 0, records: 0 });
    expect(await tableContent(join(dataDir(), 'warehouse.duckdb'))).toEqual(before);
    expect(await keys('quarantine/')).toHaveLength(2);
  }, 60_000);

  it('a replay that died while removing its entries: the re-run finishes its object, the records load once', async () => {
    // Prepare: two more records an earlier capture could not convert, processed into the bucket's quarantine; a
    // replay (the use case on the bucket's store) that dies after removing one of its two entries
    const store = s3.store('data');
    await captureBatch([unconverted(event('fixed-3', 57), 6), unconverted(event('fixed-4', 58), 7)], store, {
      rawPrefix: 'telemetry/',
      source: 's',
    });
    await cli(['process', ...bucket(), '--data-dir', dataDir()]);
    const prefixes = {
      rawPrefix: 'telemetry/',
      archivePrefix: 'archive/telemetry/',
      quarantinePrefix: 'quarantine/telemetry/',
      stagedPrefix: 'staged/',
    };
    const died = await quarantineReplay(
      { store: dyingAtDelete(store, prefixes.quarantinePrefix, 2) },
      prefixes,
    ).catch((e: unknown) => e);

    // Act
    const rerun = await cli(['quarantine', 'replay', ...bucket(), '--json']);
    const processed = await cli(['process', ...bucket(), '--data-dir', dataDir(), '--json']);

    // Assess: the object noted before it was written holds the remaining entry: not written again, loaded once
    expect(died).toBeInstanceOf(Error);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ replayed: 1, written: 0, removed: 1 });
    expect(JSON.parse(processed.stdout)).toMatchObject({ objects: 1, records: 2, inserted: 2, unchanged: 0 });
    expect(await keys('staged/_quarantine-replay/')).toEqual([]);
    expect(await keys('quarantine/')).toHaveLength(2);
  }, 60_000);
});
