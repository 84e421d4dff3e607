import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { BLOCK_SIZE } from '../../../src/adapters/duckdb/openWarehouse.js';
import { FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import type { LoadBatch } from '../../../src/ports/TableSink.js';
import { rowValues } from '../../support/rowValues.js';

const dir = mkdtempSync(join(tmpdir(), 'duckdb-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function settings(
  sink: DuckDbSink,
): Promise<{ limit: string; temp: string; threads: number; blockSize: number; vacuumTasks: number }> {
  const reader = await sink.connection.runAndReadAll(
    `SELECT current_setting('memory_limit'), current_setting('temp_directory'), current_setting('threads'),
            (SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()),
            current_setting('max_vacuum_tasks')`,
  );
  const [limit, temp, threads, blockSize, vacuumTasks] = reader.getRows()[0] ?? [];
  return {
    limit: String(limit),
    temp: String(temp),
    threads: Number(threads),
    blockSize: Number(blockSize),
    vacuumTasks: Number(vacuumTasks),
  };
}

/** A batch of one raw object whose rows have only their keys (every other fixed column NULL). */
function fixedOnlyBatch(batchId: string, file: string, ids: readonly string[]): LoadBatch {
  const rows = ids.map((id) => ({
    event_id: id,
    pipeline_sequence_number: '1',
    pipeline_content_hash: 'h',
    pipeline_source_file: 'f',
  }));
  return {
    batchId,
    files: [file],
    columns: FIXED_COLUMNS,
    newColumns: [],
    rows: rowValues(rows, FIXED_COLUMNS),
    deletes: [],
  };
}

describe('DuckDbSink memory bounds', () => {
  it('creates the warehouse with small blocks, caps DuckDB memory, spills next to the file and never vacuums', async () => {
    // Prepare
    const path = join(dir, 'default', 'warehouse.duckdb');
    // Act
    const sink = await DuckDbSink.open(path);
    const got = await settings(sink);
    await sink.close();
    // Assess: DuckDB reports the limit in its own units (96MB = 91.5 MiB); no vacuum re-merging each load's row groups
    expect(got).toEqual({
      limit: '91.5 MiB',
      temp: `${path}.tmp`,
      threads: 1,
      blockSize: BLOCK_SIZE,
      vacuumTasks: 0,
    });
  });

  it('leaves an in-memory warehouse without the tight limit: its whole table lives in the buffer pool', async () => {
    // Prepare + Act
    const sink = await DuckDbSink.open(':memory:');
    const got = await settings(sink);
    await sink.close();
    // Assess
    expect(got.limit).not.toBe('91.5 MiB');
  });

  it('keeps the block size of an existing warehouse and gives its larger blocks a larger limit', async () => {
    // Prepare: a warehouse created with DuckDB's default 256 KiB blocks (before this setting)
    const path = join(dir, 'old', 'warehouse.duckdb');
    mkdirSync(join(dir, 'old'));
    const old = await DuckDBInstance.create(path);
    old.closeSync();
    // Act
    const sink = await DuckDbSink.open(path);
    const got = await settings(sink);
    await sink.close();
    // Assess: 512MB = 488.2 MiB
    expect(got.blockSize).toBe(262_144);
    expect(got.limit).toBe('488.2 MiB');
  });

  it('takes another limit from its options', async () => {
    // Prepare
    const path = join(dir, 'custom', 'warehouse.duckdb');
    // Act
    const sink = await DuckDbSink.open(path, { memoryLimit: '1GB' });
    const got = await settings(sink);
    await sink.close();
    // Assess
    expect(got.limit).toBe('953.6 MiB');
  });

  it('is back at the full limit after every load, failed or not (its reads run under a lower one)', async () => {
    // Prepare: a load, and a batch the sink refuses (its file is already in the ledger)
    const path = join(dir, 'reads', 'warehouse.duckdb');
    const sink = await DuckDbSink.open(path);
    // Act
    const loaded = await sink.load(fixedOnlyBatch('b1', 'raw/one.ndjson.gz', ['e1']));
    const afterLoad = (await settings(sink)).limit;
    const refused = await sink
      .load(fixedOnlyBatch('b2', 'raw/one.ndjson.gz', ['e2']))
      .catch((e: unknown) => e);
    const afterRefusal = (await settings(sink)).limit;
    await sink.close();
    // Assess
    expect(loaded.inserted).toBe(1);
    expect(refused).toBeInstanceOf(Error);
    expect([afterLoad, afterRefusal]).toEqual(['91.5 MiB', '91.5 MiB']);
  });

  it('runs a load whose reads need more than their lower limit again under the full one', async () => {
    // Prepare: reads limited to 1MB, far too little for a 20,000-row batch
    const path = join(dir, 'retry', 'warehouse.duckdb');
    const sink = await DuckDbSink.open(path, { readMemoryLimit: '1MB' });
    const ids = Array.from({ length: 20_000 }, (_, i) => `event-${i}`);
    // Act
    const loaded = await sink.load(fixedOnlyBatch('big', 'raw/big.ndjson.gz', ids));
    const rows = await sink.connection.runAndReadAll(
      'SELECT count(*) FROM telemetry.car_telemetry_flattened',
    );
    const limit = (await settings(sink)).limit;
    await sink.close();
    // Assess: loaded once, and the full limit is back
    expect(loaded.inserted).toBe(20_000);
    expect(Number(rows.getRows()[0]?.[0])).toBe(20_000);
    expect(limit).toBe('91.5 MiB');
  });
});
