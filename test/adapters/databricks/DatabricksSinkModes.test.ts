import { afterEach, describe, expect, it } from 'vitest';
import { DatabricksSink, type SqlRunner } from '../../../src/adapters/databricks/DatabricksSink.js';
import { parseTableName } from '../../../src/adapters/databricks/databricksSql.js';
import { parseManifest } from '../../../src/adapters/databricks/StagedManifest.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import { SKIPPED_OLDER } from '../../../src/adapters/sql/loadRule.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { FlatRow } from '../../../src/core/flatten/flattenEvent.js';
import { padSequence } from '../../../src/core/model/RawRecord.js';
import { type ColumnDef, FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import type { LoadBatch } from '../../../src/ports/TableSink.js';
import { reconciles } from '../../../src/process/ProcessSummary.js';
import { processPending } from '../../../src/process/processPending.js';
import { type DatabricksWorld, databricksWorld } from '../../support/databricksHarness.js';
import { event, insert, PREFIXES, remove } from '../../support/pipeline.js';

const HOSTILE: ColumnDef[] = [
  { name: 'it"s', type: 'VARCHAR' },
  { name: "o'clock", type: 'VARCHAR' },
  { name: 'back`tick', type: 'DOUBLE' },
  { name: 'select', type: 'BIGINT' },
  { name: 'température_°C', type: 'DOUBLE' },
  { name: '名前', type: 'VARCHAR' },
  { name: 'x'.repeat(300), type: 'BOOLEAN' },
];

function row(id: string, seq: number, extra: FlatRow = {}): FlatRow {
  return {
    event_id: id,
    recorded_at: Date.UTC(2025, 10, 25, 20),
    pipeline_sequence_number: padSequence(seq),
    pipeline_content_hash: `h${seq}`,
    ...extra,
  };
}

function batch(id: string, rows: FlatRow[], extra: ColumnDef[] = []): LoadBatch {
  return {
    batchId: id,
    files: [`raw/${id}.gz`],
    columns: [...FIXED_COLUMNS, ...extra],
    newColumns: extra,
    rows,
    deletes: [],
  };
}

let world: DatabricksWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('DatabricksSink direct mode (fake)', () => {
  it('loads hostile column names end to end: quoted DDL, merge and read-back', async () => {
    world = await databricksWorld();
    const sink = world.sink('direct');
    const values: FlatRow = {
      'it"s': 'a"b',
      "o'clock": "1 o'clock",
      'back`tick': 1.5,
      select: 7,
      'température_°C': 21.5,
      名前: 'テスト',
      ['x'.repeat(300)]: true,
    };
    expect(await sink.load(batch('h1', [row('e1', 1, values)], HOSTILE))).toMatchObject({ inserted: 1 });
    const columns = await sink.readColumns();
    expect(columns).toEqual(expect.arrayContaining(HOSTILE));
    const back = await world.read(HOSTILE.map((c) => c.name));
    expect(back.e1).toMatchObject(values);
  });

  it('sends no statement when nothing is pending (the warehouse can stop)', async () => {
    // Prepare
    world = await databricksWorld();
    // Act
    const summary = await processPending({ store: world.store, sink: world.sink('direct') }, PREFIXES);
    // Assess
    expect(summary).toMatchObject({ objects: 0, batches: 0 });
    expect(world.fake.statements.size).toBe(0);
  });

  it('refuses to change an existing column type silently', async () => {
    world = await databricksWorld();
    const sink = world.sink('direct');
    await sink.load(batch('t1', [row('e1', 1, { speed: 1 })], [{ name: 'speed', type: 'DOUBLE' }]));
    const error = await sink
      .load(batch('t2', [row('e2', 2, { Speed: 'fast' })], [{ name: 'Speed', type: 'VARCHAR' }]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/speed is DOUBLE in the table but VARCHAR/i);
  });

  it('runs processPending end to end: staged Parquet, merge, archive; a replay changes nothing', async () => {
    world = await databricksWorld();
    const w = world;
    const sink = w.sink('direct');
    const capture = async (records: Parameters<typeof insert>[0][], seq: number) => {
      await captureBatch(
        records.map((r, i) => insert(r, seq + i)),
        w.store,
        { rawPrefix: PREFIXES.rawPrefix, source: 's1' },
      );
    };
    await capture([event('a', 10), event('b', 20)], 1);
    const first = await processPending({ store: w.store, sink }, PREFIXES);
    expect(first).toMatchObject({ inserted: 2, staged: 0 });
    expect(reconciles(first)).toBe(true);
    await captureBatch([remove('a', 5), insert(event('b', 20), 1)], w.store, {
      rawPrefix: PREFIXES.rawPrefix,
      source: 's2',
    });
    const second = await processPending({ store: w.store, sink }, PREFIXES);
    // b at sequence 1 is older than the table's b (sequence 2): skipped, with the reason.
    expect(second).toMatchObject({ deleted: 1, unchanged: 0, skippedByReason: { [SKIPPED_OLDER]: 1 } });
    expect(reconciles(second)).toBe(true);
    const rows = await w.read(['TractionBattery_StateOfCharge_value']);
    expect(Object.keys(rows)).toEqual(['b']);
    const staged: string[] = [];
    for await (const o of w.store.list('staged/')) staged.push(o.key);
    expect(staged.filter((k) => k.endsWith('_manifest.json'))).toHaveLength(2);
  });
});

describe('DatabricksSink job mode', () => {
  it('only stages: counts records as staged, keeps a staged-columns registry, runs no SQL', async () => {
    const store = new MemoryObjectStore();
    const noSql: SqlRunner = {
      execute: async () => {
        throw new Error('job mode must not run SQL');
      },
    };
    const sink = new DatabricksSink(noSql, {
      store,
      stagedPrefix: 'staged/',
      target: parseTableName('main.telemetry.car_telemetry_flattened'),
      mode: 'job',
    });
    await captureBatch([insert(event('a', 10), 1), remove('z', 2)], store, {
      rawPrefix: PREFIXES.rawPrefix,
      source: 's1',
    });
    const summary = await processPending({ store, sink }, PREFIXES);
    expect(summary).toMatchObject({ staged: 2, inserted: 0, batches: 1 });
    expect(reconciles(summary)).toBe(true);
    expect((await sink.readColumns()).map((c) => c.name)).toContain('TractionBattery_StateOfCharge_value');
    const manifests: string[] = [];
    for await (const o of store.list('staged/')) if (o.key.endsWith('_manifest.json')) manifests.push(o.key);
    expect(manifests).toHaveLength(1);
    const manifest = parseManifest(await store.get(manifests[0] as string));
    expect(manifest).toMatchObject({ rowCount: 1, deleteCount: 1 });
    expect(await sink.loadedFiles(manifest.files)).toEqual(new Set());
  });
});
