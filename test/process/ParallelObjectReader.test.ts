import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { SignalCatalog } from '../../src/core/catalog/SignalCatalog.js';
import { encodeNdjson } from '../../src/core/ndjson/ndjson.js';
import { ColumnRegistry } from '../../src/core/schema/ColumnRegistry.js';
import type { ObjectStore } from '../../src/ports/ObjectStore.js';
import { BatchBuilder } from '../../src/process/BatchBuilder.js';
import { FlattenPool } from '../../src/process/FlattenPool.js';
import { ParallelObjectReader } from '../../src/process/ParallelObjectReader.js';
import { processPending } from '../../src/process/processPending.js';
import { readObjectInto } from '../../src/process/readObjectInto.js';
import { event, insert, PREFIXES, remove } from '../support/pipeline.js';

const signal = (group: string, name: string, body: unknown) => ({ group, name, body: JSON.stringify(body) });

/**
 * Objects that exercise every merge rule: versions superseded within and across objects, duplicates, deletes, TTL
 * skips, quarantined lines, an object damaged halfway, an unreadable one, and undocumented signals whose column
 * type or name depends on which object came first (a worker seeded before that object was merged gets it wrong).
 */
async function fill(store: ObjectStore): Promise<void> {
  const put = (records: Parameters<typeof captureBatch>[0], source: string) =>
    captureBatch(records, store, { rawPrefix: PREFIXES.rawPrefix, source });
  await put(
    [
      insert(event('a', 10, { signals: [signal('Odd', 'Reading', { value: 1 })] }), 1),
      insert(event('b', 20), 2),
      remove('x', 3, true),
    ],
    's1',
  );
  await put(
    [
      insert(event('a', 11, { signals: [signal('Odd', 'Ratio', { value: 1.5 })] }), 5),
      insert(event('b', 19), 1), // older than the version of b in the same batch
      insert(event('c', 30, { signals: [signal('odd', 'reading', { value: 'text' })] }), 6),
    ],
    's2',
  );
  await put(
    [
      insert(event('d', 40, { signals: [signal('Odd', 'Ratio', { value: 7 })] }), 7),
      insert(event('d', 40, { signals: [signal('Odd', 'Ratio', { value: 7 })] }), 7), // duplicate delivery
      insert(event('e', 50, { signals: [signal('Late', 'Column', { value: true })] }), 8),
    ],
    's3',
  );
  await store.put(
    `${PREFIXES.rawPrefix}2025/11/25/20/s4-unreadable.ndjson.gz`,
    Buffer.from('not gzip at all'),
  );
  const damaged = gzipSync(
    encodeNdjson([
      insert(event('f', 60, { signals: [signal('Only', 'InDamaged', { value: 'y' })] }), 9),
      ...Array.from({ length: 400 }, (_, i) => insert(event(`g${i}`, i % 100), 10 + i)),
    ]),
  );
  await store.put(
    `${PREFIXES.rawPrefix}2025/11/25/20/s5-damaged.ndjson.gz`,
    damaged.subarray(0, Math.floor(damaged.length * 0.6)),
  );
  await store.put(`${PREFIXES.rawPrefix}2025/11/25/20/s6-lines.ndjson`, Buffer.from('{"not":"a record"}\n'));
  await put(
    [remove('a', 500), insert(event('h', 70, { signals: [signal('Odd', 'Reading', { value: 2 })] }), 501)],
    's7',
  );
}

async function run(workers: number) {
  const store = new MemoryObjectStore();
  await fill(store);
  const sink = await DuckDbSink.open(':memory:');
  const summary = await processPending(
    { store, sink, now: () => Date.UTC(2025, 10, 26) },
    { ...PREFIXES, workers, maxEventsPerBatch: 4 },
  );
  const read = async (sql: string) => (await sink.connection.runAndReadAll(sql)).getRowObjectsJson();
  const table = {
    columns: await read(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_name = 'car_telemetry_flattened' ORDER BY ordinal_position`,
    ),
    rows: await read('SELECT * FROM telemetry.car_telemetry_flattened ORDER BY event_id'),
  };
  const quarantine: string[] = [];
  for await (const o of store.list(PREFIXES.quarantinePrefix)) quarantine.push(o.key);
  await sink.close();
  return { summary, table, quarantine };
}

describe('ParallelObjectReader', () => {
  it('reads an object again on the main thread when its worker resolved a column differently', async () => {
    // Prepare: o2 is flattened while o1 (which types Odd_Ratio VARCHAR) is not merged yet; o2 alone types it DOUBLE
    const store = new MemoryObjectStore();
    const put = (records: Parameters<typeof captureBatch>[0], source: string) =>
      captureBatch(records, store, { rawPrefix: PREFIXES.rawPrefix, source });
    await put([insert(event('a', 1, { signals: [signal('Odd', 'Ratio', { value: 'high' })] }), 1)], 'o1');
    await put([insert(event('b', 2, { signals: [signal('Odd', 'Ratio', { value: 7 })] }), 2)], 'o2');
    const keys: string[] = [];
    for await (const o of store.list(PREFIXES.rawPrefix)) keys.push(o.key);
    const columns = new ColumnRegistry();
    const batch = new BatchBuilder({ catalog: SignalCatalog.default(), columns }, 0);
    const pool = new FlattenPool(2);
    try {
      const reader = new ParallelObjectReader(store, pool, keys, columns, PREFIXES.quarantinePrefix);
      // Act
      for (const key of keys) await reader.readInto(key, batch);
      // Assess
      expect(reader.rereads).toBe(1);
      expect(columns.get('Odd_Ratio')).toEqual({ name: 'Odd_Ratio', type: 'VARCHAR' });
      const built = batch.build(columns.takeAdded());
      const at = (name: string) => built.columns.findIndex((c) => c.name === name);
      expect(built.rows.map((r) => r[at('Odd_Ratio')])).toEqual(['high', undefined]);
      expect(JSON.parse(String(built.rows[1]?.[at('_rescued_data')]))).toEqual({ Odd_Ratio: 7 });
    } finally {
      await pool.close();
    }
  });
});

describe('ParallelObjectReader when its workers are gone', () => {
  it('reads every object on the main thread instead: the same batch, the run goes on', async () => {
    // Prepare: three objects; the pool's workers stop before any job reaches them (as if they had crashed)
    const store = new MemoryObjectStore();
    for (let o = 0; o < 3; o++) {
      const records = [0, 1, 2].map((i) => insert(event(`e${o}${i}`, i), o * 10 + i + 1));
      await captureBatch(records, store, { rawPrefix: PREFIXES.rawPrefix, source: `o${o}` });
    }
    const keys: string[] = [];
    for await (const o of store.list(PREFIXES.rawPrefix)) keys.push(o.key);
    const fresh = () => {
      const columns = new ColumnRegistry();
      return { columns, batch: new BatchBuilder({ catalog: SignalCatalog.default(), columns }, 0) };
    };
    const starved = fresh();
    const reference = fresh();
    const pool = new FlattenPool(2);
    const reader = new ParallelObjectReader(store, pool, keys, starved.columns, PREFIXES.quarantinePrefix);
    await pool.close();

    // Act
    for (const key of keys) await reader.readInto(key, starved.batch);
    for (const key of keys) {
      await readObjectInto(store, key, reference.batch, reference.columns, PREFIXES.quarantinePrefix);
    }

    // Assess
    expect(reader.rereads).toBe(3);
    const built = starved.batch.build(starved.columns.takeAdded());
    expect(built.rows).toHaveLength(9);
    expect(built.rows).toEqual(reference.batch.build(reference.columns.takeAdded()).rows);
  });
});

describe('processPending with flattening in worker threads', () => {
  it('ends in the same table, columns, quarantine and counts as flattening on the main thread', async () => {
    // Prepare + Act
    const inThread = await run(0);
    const withWorkers = await run(2);

    // Assess
    expect(inThread.summary.objects).toBeGreaterThan(4);
    expect(inThread.summary.objectsQuarantined).toBe(1);
    expect(inThread.table.rows.length).toBeGreaterThan(100);
    expect(inThread.table.columns.map((c) => c.column_name)).toEqual(
      expect.arrayContaining([
        'Odd_Reading',
        'Odd_Ratio',
        'Only_InDamaged',
        expect.stringMatching(/^odd_reading__h/),
      ]),
    );
    expect(withWorkers.summary).toEqual(inThread.summary);
    expect(withWorkers.table).toEqual(inThread.table);
    expect(withWorkers.quarantine).toEqual(inThread.quarantine);
  });
});
