import { describe, expect, it } from 'vitest';
import { ObjectFeed } from '../../src/process/ObjectFeed.js';
import { reconciles } from '../../src/process/ProcessSummary.js';
import { event, insert, pipeline, remove } from '../support/pipeline.js';

describe('processPending (memory store + DuckDB)', () => {
  it('loads, archives, and leaves the table unchanged when the same records come again', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 50), 1), insert(event('b', 60), 2)]);
    const first = await p.process();
    expect(first).toMatchObject({ records: 2, inserted: 2, objects: 1, batches: 1 });
    expect(await p.keys('raw/')).toEqual([]);
    expect(await p.keys('archive/')).toHaveLength(1);

    // Same events re-delivered with newer sequence numbers (a re-run of the same input): content is the same.
    await p.capture([insert(event('a', 50), 3), insert(event('b', 60), 4)]);
    const second = await p.process();
    expect(second).toMatchObject({ records: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(await p.rows()).toEqual([
      { event_id: 'a', soc: 50 },
      { event_id: 'b', soc: 60 },
    ]);
    expect(reconciles(second)).toBe(true);
  });

  it('latest sequence number wins, within a batch and across batches', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 10), 1), insert(event('a', 20), 5), insert(event('a', 15), 3)]);
    const s = await p.process();
    expect(s).toMatchObject({ inserted: 1, skipped: 2 });
    expect(await p.rows()).toEqual([{ event_id: 'a', soc: 20 }]);

    await p.capture([insert(event('a', 99), 4)], 'shard-2'); // older version arriving late
    expect(await p.process()).toMatchObject({
      unchanged: 0,
      skippedByReason: { 'older than the version in the table': 1 },
    });
    await p.capture([insert(event('a', 30), 9)], 'shard-2');
    expect(await p.process()).toMatchObject({ updated: 1 });
    expect(await p.rows()).toEqual([{ event_id: 'a', soc: 30 }]);
  });

  it('REMOVE deletes the row; TTL removals are ignored and counted; older versions cannot resurrect it', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1), insert(event('b', 2), 2)]);
    await p.process();
    await p.capture([remove('a', 3), remove('b', 4, true)]);
    const s = await p.process();
    expect(s).toMatchObject({
      deleted: 1,
      skipped: 1,
      skippedByReason: { 'TTL removal (expired in DynamoDB, kept in the table)': 1 },
    });
    expect(await p.rows()).toEqual([{ event_id: 'b', soc: 2 }]);

    await p.capture([insert(event('a', 1), 1)], 'replay'); // an at-least-once replay of the original insert
    expect(await p.process()).toMatchObject({
      inserted: 0,
      unchanged: 0,
      skippedByReason: { 'deleted by a newer REMOVE': 1 },
    });
    expect(await p.rows()).toEqual([{ event_id: 'b', soc: 2 }]);
  });

  it('quarantines unusable records with source, position and reason; the rest of the batch loads', async () => {
    const p = await pipeline();
    const bad = [
      { ...insert({ signals: [] }, 2) },
      { ...insert({ event_id: 'c', signals: 'nope' }, 3) },
      { ...insert({}, 4), newImage: null, rawText: '{oops', source: { file: 'in.ndjson', position: 7 } },
    ];
    await p.capture([insert(event('a', 1), 1), ...bad, insert(event('d', 4), 5)]);
    const s = await p.process();
    expect(s).toMatchObject({ records: 5, inserted: 2, quarantined: 3 });
    expect(reconciles(s)).toBe(true);
    const lines = [];
    for (const key of await p.keys('quarantine/')) lines.push(...(await p.ndjson(key)));
    expect(lines.map((l) => l.reason).sort()).toEqual([
      'event_id is missing',
      'not valid JSON',
      'signals must be an array, got string',
    ]);
    expect(lines.find((l) => l.reason === 'not valid JSON')).toMatchObject({
      record: '{oops',
      source: { file: 'in.ndjson', position: 7, line: 4 },
    });
  });

  it('an unreadable object is quarantined whole with its reason; others proceed', async () => {
    const p = await pipeline();
    await p.store.put('raw/telemetry/2025/11/25/20/broken.ndjson.gz', Buffer.from('definitely not gzip'));
    await p.capture([insert(event('a', 1), 1)]);
    const s = await p.process();
    expect(s).toMatchObject({ objectsQuarantined: 1, inserted: 1 });
    expect(await p.keys('quarantine/')).toEqual([
      'quarantine/telemetry/2025/11/25/20/broken.ndjson.gz',
      'quarantine/telemetry/2025/11/25/20/broken.ndjson.gz.reason.json',
    ]);
  });

  it('an object loaded but not archived (crash) is archived on the next run without loading twice', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1)]);
    await expect(
      p.process({
        checkpoint: (step) => {
          if (step === 'after-load') throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    expect(await p.keys('raw/')).toHaveLength(1);
    const s = await p.process();
    expect(s).toMatchObject({ objectsRecovered: 1, records: 0, inserted: 0 });
    expect(await p.keys('raw/')).toEqual([]);
    expect(await p.rows()).toEqual([{ event_id: 'a', soc: 1 }]);
  });

  it('stops taking objects when told (Lambda deadline) and the next run continues', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1)], 's1');
    await p.capture([insert(event('b', 2), 2)], 's2');
    let calls = 0;
    const s = await p.process({ shouldStop: () => calls++ >= 1 });
    expect(s).toMatchObject({ objects: 1, stoppedEarly: true });
    expect(await p.process()).toMatchObject({ objects: 1, inserted: 1 });
    expect(await p.rows()).toHaveLength(2);
  });

  it('adds columns for new signals between batches (schema evolution)', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1)]);
    await p.process();
    const withNew = event('b', 2);
    (withNew.signals as unknown[]).push({ group: 'Oem', name: 'Brand-New', body: { value: 'x' } });
    await p.capture([insert(withNew, 2)], 's2');
    const s = await p.process();
    expect(s.columnsAdded.map((c) => c.name)).toEqual([
      expect.stringMatching(/^Oem_Brand_New__h[0-9a-f]{8}$/),
    ]);
    const col = s.columnsAdded[0]?.name as string;
    expect(
      await p.rows(`SELECT event_id, "${col}" AS v FROM telemetry.car_telemetry_flattened ORDER BY 1`),
    ).toEqual([
      { event_id: 'a', v: null },
      { event_id: 'b', v: 'x' },
    ]);
  });
});

describe('processPending overlaps loading with reading', () => {
  it('reads the next batch while the previous one loads, one load at a time, and loads every batch in order', async () => {
    // Prepare: three objects, one batch each; the first load finishes only once the next object has been read
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1)], 'shard-1');
    await p.capture([insert(event('b', 2), 2)], 'shard-2');
    await p.capture([insert(event('c', 3), 3)], 'shard-3');
    const reads: string[] = [];
    const get = p.store.get.bind(p.store);
    let nextRead: () => void = () => undefined;
    const secondRead = new Promise<void>((resolve) => {
      nextRead = resolve;
    });
    p.store.get = async (key: string) => {
      reads.push(key);
      if (reads.filter((k) => k.startsWith('raw/')).length === 2) nextRead();
      return get(key);
    };
    const load = p.sink.load.bind(p.sink);
    const events: string[] = [];
    let loading = 0;
    p.sink.load = async (batch) => {
      loading += 1;
      events.push(`start ${batch.files.length} concurrent=${loading}`);
      if (events.length === 1) await secondRead;
      const result = await load(batch);
      loading -= 1;
      return result;
    };
    // Act
    const summary = await p.process({ maxEventsPerBatch: 1 });
    // Assess
    expect(summary).toMatchObject({ batches: 3, inserted: 3, objects: 3 });
    expect(events).toEqual(['start 1 concurrent=1', 'start 1 concurrent=1', 'start 1 concurrent=1']);
    expect(await p.rows()).toEqual([
      { event_id: 'a', soc: 1 },
      { event_id: 'b', soc: 2 },
      { event_id: 'c', soc: 3 },
    ]);
    expect(await p.keys('raw/')).toEqual([]);
  });

  it('a failed load stops the run with its error and leaves its objects and the later ones pending', async () => {
    // Prepare
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1)], 'shard-1');
    await p.capture([insert(event('b', 2), 2)], 'shard-2');
    p.sink.load = async () => {
      throw new Error('warehouse unavailable');
    };
    // Act
    const outcome = await p.process({ maxEventsPerBatch: 1 }).catch((e: unknown) => e);
    // Assess
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('warehouse unavailable');
    expect(await p.keys('raw/')).toHaveLength(2);
    expect(await p.keys('archive/')).toEqual([]);
  });
});

describe('processPending with objects announced while it runs (a capture alongside)', () => {
  it('reads the announced objects after the listed ones, into the batches a listing of them all would make', async () => {
    // Prepare: one object pending before; three captured while process runs, the third after the first batch loaded
    const listed = await pipeline();
    const fed = await pipeline();
    const records = [
      [insert(event('a', 1), 1), insert(event('b', 1), 2)],
      [insert(event('a', 2), 3)],
      [insert(event('c', 3), 4), insert(event('b', 3), 5)],
      [insert(event('a', 4), 6)],
    ];
    for (const [i, r] of records.entries()) await listed.capture(r, `shard-${i}`);
    await fed.capture(records[0] ?? [], 'shard-0');
    const feed = new ObjectFeed();
    const load = fed.sink.load.bind(fed.sink);
    let loads = 0;
    fed.sink.load = async (batch) => {
      const result = await load(batch);
      if (++loads === 1) {
        const last = await fed.capture(records[3] ?? [], 'shard-3');
        feed.push(last?.key as string);
        feed.end();
      }
      return result;
    };

    // Act
    const processing = fed.process({ maxEventsPerBatch: 3, incoming: feed });
    for (const i of [1, 2]) feed.push((await fed.capture(records[i] ?? [], `shard-${i}`))?.key as string);
    const summary = await processing;

    // Assess
    const expected = await listed.process({ maxEventsPerBatch: 3 });
    expect(summary).toEqual(expected);
    expect(summary).toMatchObject({ objects: 4, batches: 3, records: 6 });
    expect(await fed.rows()).toEqual(await listed.rows());
    expect(await fed.keys('raw/')).toEqual([]);
  });

  it('with nothing pending, waits for the first announced object before asking the sink anything', async () => {
    // Prepare
    const p = await pipeline();
    const asked: string[] = [];
    const readColumns = p.sink.readColumns.bind(p.sink);
    p.sink.readColumns = () => {
      asked.push('columns');
      return readColumns();
    };
    const empty = new ObjectFeed();
    empty.end();
    const feed = new ObjectFeed();

    // Act
    const none = await p.process({ incoming: empty });
    const running = p.process({ incoming: feed });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const askedBeforeAnObject = [...asked];
    feed.push((await p.capture([insert(event('a', 1), 1)]))?.key as string);
    feed.end();
    const one = await running;

    // Assess
    expect(none).toMatchObject({ objects: 0, batches: 0 });
    expect(askedBeforeAnObject).toEqual([]);
    expect(one).toMatchObject({ objects: 1, inserted: 1 });
  });

  it('an announced object the sink already loaded is archived, not loaded again', async () => {
    // Prepare: loaded and archived once; the same object (same key) captured again and announced
    const p = await pipeline();
    const first = await p.capture([insert(event('a', 1), 1)]);
    await p.process();
    const feed = new ObjectFeed();

    // Act
    const running = p.process({ incoming: feed });
    const again = await p.capture([insert(event('a', 1), 1)]);
    feed.push(again?.key as string);
    feed.end();
    const s = await running;

    // Assess
    expect(again?.key).toBe(first?.key);
    expect(s).toMatchObject({ objectsRecovered: 1, objects: 0, records: 0, inserted: 0 });
    expect(await p.keys('raw/')).toEqual([]);
  });

  it('a capture that fails stops the run with its error once the batches before it are loaded', async () => {
    // Prepare
    const p = await pipeline();
    const feed = new ObjectFeed();
    const running = p.process({ maxEventsPerBatch: 1, incoming: feed }).catch((e: unknown) => e);

    // Act
    feed.push((await p.capture([insert(event('a', 1), 1)]))?.key as string);
    feed.fail(new Error('disk full'));
    const outcome = await running;

    // Assess
    expect((outcome as Error).message).toBe('disk full');
    expect(await p.rows()).toEqual([{ event_id: 'a', soc: 1 }]);
  });
});
