import { afterEach, describe, expect, it } from 'vitest';
import { stagedBatchesPrefix } from '../../../infra/lib/TelemetryStorage.js';
import { DatabricksSink, type SqlRunner } from '../../../src/adapters/databricks/DatabricksSink.js';
import { parseTableName } from '../../../src/adapters/databricks/databricksSql.js';
import { isManifestKey, parseManifest } from '../../../src/adapters/databricks/StagedManifest.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { reconciles } from '../../../src/process/ProcessSummary.js';
import { processPending } from '../../../src/process/processPending.js';
import { type DatabricksWorld, databricksWorld } from '../../support/databricksHarness.js';
import { event, insert, PREFIXES, remove } from '../../support/pipeline.js';

let world: DatabricksWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

// Every statement the sink sends runs on Spark + Delta: DatabricksSink.spark.test.ts, DatabricksSinkJob.spark.test.ts.
describe('DatabricksSink direct mode', () => {
  it('sends no statement when nothing is pending (the warehouse can stop)', async () => {
    // Prepare
    world = await databricksWorld();
    // Act
    const summary = await processPending({ store: world.store, sink: world.sink('direct') }, PREFIXES);
    // Assess
    expect(summary).toMatchObject({ objects: 0, batches: 0 });
    expect(world.fake.statements.size).toBe(0);
  });
});

describe('DatabricksSink job mode', () => {
  it('only stages, under names Spark does not hide and folders it does not read as partitions; the column registry is outside what the lifecycle rule expires', async () => {
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
    const keys: string[] = [];
    for await (const o of store.list('staged/')) keys.push(o.key);
    // Spark and Databricks skip `_x` and `.x` names; `k=v` folders become a partition column.
    expect(keys.every((k) => k.split('/').every((part) => !/^[_.]/.test(part) && !part.includes('=')))).toBe(
      true,
    );
    const lifecycle = stagedBatchesPrefix('staged/');
    expect(keys.filter((k) => !k.startsWith(lifecycle))).toEqual(['staged/columns.json']);
    const manifests = keys.filter(isManifestKey);
    expect(manifests).toHaveLength(1);
    const manifest = parseManifest(await store.get(manifests[0] as string));
    expect(manifest).toMatchObject({ rowCount: 1, deleteCount: 1 });
    expect(await sink.loadedFiles(manifest.files)).toEqual(new Set());
  });
});
