import { describe, expect, it } from 'vitest';
import { padSequence } from '../../src/core/model/RawRecord.js';
import { quarantineEntries } from '../../src/process/quarantineEntries.js';
import { quarantineReplay } from '../../src/process/quarantineReplay.js';
import { dyingAtDelete, event, insert, PREFIXES, pipeline, unconverted } from '../support/pipeline.js';

const OPTIONS = { ...PREFIXES, stagedPrefix: 'staged/' };

describe('quarantineReplay (memory store + DuckDB)', () => {
  it('re-ingests with the original stream order key: an older version than the table is skipped, not applied', async () => {
    // Prepare: two stream records quarantined by an earlier capture; a newer version of 'b' is in the table.
    const p = await pipeline();
    await p.capture([unconverted(event('a', 50), 10), unconverted(event('b', 60), 12)]);
    await p.capture([insert(event('b', 70), 20)], 'shard-2');
    const processed = await p.process();
    expect(processed).toMatchObject({ quarantined: 2, inserted: 1 });

    // Act
    const first = await quarantineReplay({ store: p.store, sink: p.sink }, OPTIONS);
    const second = await quarantineReplay({ store: p.store, sink: p.sink }, OPTIONS);

    // Assess
    expect(first).toMatchObject({
      entries: 2,
      replayed: 2,
      kept: 0,
      written: 1,
      removed: 2,
      loaded: true,
      process: { records: 2, inserted: 1, skippedByReason: { 'older than the version in the table': 1 } },
    });
    expect(await p.rows()).toEqual([
      { event_id: 'a', soc: 50 },
      { event_id: 'b', soc: 70 },
    ]);
    expect(
      await p.rows(
        `SELECT pipeline_sequence_number AS key FROM telemetry.car_telemetry_flattened WHERE event_id = 'a'`,
      ),
    ).toEqual([{ key: padSequence(10) }]);
    expect(second).toMatchObject({
      entries: 0,
      replayed: 0,
      written: 0,
      removed: 0,
      process: { records: 0 },
    });
    expect(await p.keys('quarantine/')).toEqual([]);
    expect(await p.keys('raw/')).toEqual([]);
  });

  it('a dry run decides and counts but writes nothing', async () => {
    // Prepare
    const p = await pipeline();
    await p.capture([unconverted(event('a', 50), 10)]);
    await p.process();
    const before = await p.keys('');

    // Act
    const dry = await quarantineReplay({ store: p.store, sink: p.sink }, { ...OPTIONS, dryRun: true });

    // Assess
    expect(dry).toMatchObject({ dryRun: true, entries: 1, replayed: 1, removed: 0, process: { records: 0 } });
    expect(await p.keys('')).toEqual(before);
    expect(await p.rows('SELECT count(*) AS n FROM telemetry.car_telemetry_flattened')).toEqual([{ n: '0' }]);
  });

  it('without a sink hands the records over to the raw prefix: processed later exactly once, a crash re-run writes nothing', async () => {
    // Prepare: two records an earlier capture could not convert, one that still fails today (no signals) and one
    // that still fails, but for another reason than the earlier capture gave.
    const p = await pipeline();
    await p.capture([
      unconverted(event('a', 50), 10),
      unconverted(event('b', 60), 11),
      insert({ event_id: 'c' }, 12),
      unconverted({ event_id: 'd' }, 13),
    ]);
    await p.process();
    const entries = new Map<string, Uint8Array>();
    for (const key of await p.keys('quarantine/')) entries.set(key, await p.store.get(key));

    // Act: a replay, the process stage, a second replay; then the entries back as after a crash before removal.
    const first = await quarantineReplay({ store: p.store }, OPTIONS);
    const pending = await p.keys('raw/');
    const processed = await p.process();
    const second = await quarantineReplay({ store: p.store }, OPTIONS);
    for (const [key, body] of entries) await p.store.put(key, body);
    const rerun = await quarantineReplay({ store: p.store }, OPTIONS);
    const processedAgain = await p.process();

    // Assess
    expect(first).toMatchObject({
      entries: 4,
      replayed: 2,
      kept: 2,
      reasonsUpdated: 1,
      written: 1,
      removed: 2,
      loaded: false,
    });
    expect(first.process.records).toBe(0);
    expect(pending).toHaveLength(1);
    expect(pending.every((k) => k.startsWith('raw/telemetry/quarantine-replay/'))).toBe(true);
    expect(processed).toMatchObject({ objects: 1, records: 2, inserted: 2, quarantined: 0 });
    expect(second).toMatchObject({
      entries: 2,
      replayed: 0,
      kept: 2,
      reasonsUpdated: 0,
      written: 0,
      removed: 0,
    });
    expect(rerun).toMatchObject({ entries: 4, replayed: 2, written: 0, removed: 2 });
    expect(processedAgain).toMatchObject({ objects: 0, records: 0 });
    expect(await p.rows()).toEqual([
      { event_id: 'a', soc: 50 },
      { event_id: 'b', soc: 60 },
    ]);
    const kept: string[] = [];
    for await (const e of quarantineEntries(p.store, PREFIXES.quarantinePrefix)) kept.push(e.reason);
    expect(kept).toHaveLength(2);
    expect(kept.some((r) => r.includes('earlier release'))).toBe(false);
  });

  it.each([
    ['handed over', false],
    ['loaded here', true],
  ])(
    'a replay that died while removing its entries (%s): the re-run finishes its object, nothing is written or loaded twice',
    async (_, withSink) => {
      // Prepare: three records an earlier capture could not convert; a replay that dies after removing one entry.
      const p = await pipeline();
      await p.capture([
        unconverted(event('a', 1), 10),
        unconverted(event('b', 2), 11),
        unconverted(event('c', 3), 12),
      ]);
      await p.process();
      const sink = withSink ? { sink: p.sink } : {};
      const died = await quarantineReplay(
        { store: dyingAtDelete(p.store, PREFIXES.quarantinePrefix, 2), ...sink },
        OPTIONS,
      ).catch((e: unknown) => e);

      // Act
      const rerun = await quarantineReplay({ store: p.store, ...sink }, OPTIONS);
      const processed = await p.process();

      // Assess: the one object, noted before it was written, holds the remaining two: not written again
      expect(died).toBeInstanceOf(Error);
      expect(rerun).toMatchObject({ entries: 2, replayed: 2, written: 0, removed: 2 });
      const loads = withSink ? rerun.process : processed;
      expect(loads).toMatchObject({ unchanged: 0, quarantined: 0 });
      expect(await p.rows()).toEqual([
        { event_id: 'a', soc: 1 },
        { event_id: 'b', soc: 2 },
        { event_id: 'c', soc: 3 },
      ]);
      expect(await p.rows('SELECT count(*) AS n FROM telemetry.car_telemetry_flattened')).toEqual([
        { n: '3' },
      ]);
      expect(await p.keys('quarantine/')).toEqual([]);
      expect(await p.keys('staged/')).toEqual([]);
      expect(await p.keys('raw/')).toEqual([]);
    },
  );
});
