import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsSql, LONG_SQL, PIVOT_SQL, TYPES_SQL, wideSql } from '../../bench/anchors/duckdbNative.sql.js';
import { PLAN_SQL, planColumns, strongSql } from '../../bench/anchors/duckdbStrong.sql.js';
import { listRawFiles } from '../../bench/lib/listRawFiles.js';
import { ndjsonChecksum } from '../../bench/lib/ndjsonChecksum.js';
import { tableChecksum } from '../../bench/lib/tableChecksum.js';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { captureInputs } from '../../src/capture/captureInputs.js';
import { processPending } from '../../src/process/processPending.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';

/** The anchors are only a fair comparison if they produce the pipeline's rows: same count, same sample values. */
describe('bench anchors produce the same rows as the pipeline', () => {
  let dir: string;
  let rawDir: string;
  let ours: { rows: number; checksum: string; columns: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-anchors-'));
    const store = new FsObjectStore(join(dir, 'source'));
    const items = [...generateSampleItems({ vehicles: 25, events: 400, seed: 11 })];
    const input = items.map((item, i) => ({
      file: 'sample',
      position: i + 1,
      parsed: { ok: true as const, value: item },
    }));
    await captureInputs(input, store, { rawPrefix: 'raw/telemetry/', chunkSize: 150, snapshotTime: 0 });
    rawDir = join(dir, 'source', 'raw');
    const work = new FsObjectStore(join(dir, 'ours'));
    cpSync(rawDir, join(dir, 'ours', 'raw'), { recursive: true });
    const sink = await DuckDbSink.open(':memory:');
    try {
      await processPending(
        { store: work, sink },
        {
          rawPrefix: 'raw/telemetry/',
          archivePrefix: 'archive/telemetry/',
          quarantinePrefix: 'q/telemetry/',
        },
      );
      ours = await tableChecksum(sink.connection, 'telemetry', 'car_telemetry_flattened');
    } finally {
      await sink.close();
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('DuckDB-native SQL', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      await c.run(eventsSql(listRawFiles(rawDir).files));
      await c.run(LONG_SQL);
      const types = (await c.runAndReadAll(TYPES_SQL))
        .getRows()
        .map(([col, type]) => ({ col: String(col), type: String(type) }));
      await c.run(PIVOT_SQL);
      await c.run(wideSql('flat', types));
      expect(await tableChecksum(c, 'main', 'flat')).toEqual(ours);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  it('strong DuckDB: one map per event, one extraction per planned column', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      const { files } = listRawFiles(rawDir);
      await c.run(eventsSql(files));
      const plan = planColumns((await c.runAndReadAll(PLAN_SQL)).getRows());
      await c.run(strongSql('flat', files, plan));
      expect(await tableChecksum(c, 'main', 'flat')).toEqual(ours);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  it('pure Python', async () => {
    const out = join(dir, 'python.ndjson');
    execFileSync('python3', [join(import.meta.dirname, '../../bench/anchors/seed_flatten.py'), rawDir, out]);
    expect(await ndjsonChecksum(out)).toEqual(ours);
  });

  it('really compares something: rows deduplicated, many signal columns', () => {
    expect(ours.rows).toBeGreaterThan(350);
    expect(ours.rows).toBeLessThan(400);
    expect(ours.columns).toBeGreaterThan(100);
  });
});
