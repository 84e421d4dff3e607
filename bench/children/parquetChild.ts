/**
 * Measured step 6: Parquet staging (the cloud path's encoder) on one real load batch: the raw objects are
 * processed into the batch the Databricks sink would stage and its rows turned into values against the column
 * list (untimed), then each encoder writes it (timed). Variants (`--variant`): `encodeParquet` as shipped,
 * `hyparquet-writer` (the general writer it replaced, tuned: statistics off) and DuckDB `COPY ... TO parquet` from
 * an appended temp table.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { type ColumnSource, parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { encodeParquet, schemaElement } from '../../src/adapters/databricks/encodeParquet.js';
import { DUCKDB_TYPES, quoteIdent } from '../../src/adapters/duckdb/duckDbSql.js';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import type { LoadBatch, RowValues, TableSink } from '../../src/ports/TableSink.js';
import { processPending } from '../../src/process/processPending.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';

const args = childArgs(process.argv.slice(2));
const maxRows = Number(args['max-rows'] ?? '20000');
const variant = args.variant ?? 'encodeParquet';

let batch: LoadBatch | undefined;
const capture: TableSink = {
  readColumns: async () => [],
  loadedFiles: async () => new Set(),
  load: async (b) => {
    batch ??= b;
    return { inserted: b.rows.length, updated: 0, unchanged: 0, deleted: 0 };
  },
  close: async () => {},
};
await processPending(
  { store: new FsObjectStore(required(args, 'data-dir')), sink: capture },
  {
    rawPrefix: 'raw/telemetry/',
    archivePrefix: 'archive/telemetry/',
    quarantinePrefix: 'quarantine/telemetry/',
    maxEventsPerBatch: maxRows,
  },
);
if (!batch) throw new Error('no batch');
const { columns } = batch;
const rows: readonly RowValues[] = batch.rows;
batch = undefined; // only what the sink would get stays referenced

let bytes = 0;
const started = performance.now();
if (variant === 'encodeParquet') {
  bytes = encodeParquet(rows, columns).byteLength;
} else if (variant === 'hyparquet-writer') {
  const columnData: ColumnSource[] = columns.map((col, j) => {
    const scale = col.type === 'TIMESTAMP' ? 1000 : 1;
    const integer = col.type === 'BIGINT' || col.type === 'TIMESTAMP';
    const data = rows.map((row) => {
      const v = row[j];
      if (v === null || v === undefined) return null;
      return integer ? BigInt(v as number) * BigInt(scale) : v;
    });
    return { name: col.name, data: data as ColumnSource['data'] };
  });
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c) => schemaElement(c.name, c.type)),
  ];
  bytes = parquetWriteBuffer({ columnData, schema, statistics: false, rowGroupSize: 100_000 }).byteLength;
} else {
  const dir = mkdtempSync(join(tmpdir(), 'parquet-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const defs = columns.map((col) => `${quoteIdent(col.name)} ${DUCKDB_TYPES[col.type]}`).join(', ');
  await c.run(`CREATE TABLE t (${defs})`);
  const appender = await c.createAppender('t');
  for (const row of rows) {
    for (const [j, col] of columns.entries()) {
      const v = row[j];
      if (v === null || v === undefined) appender.appendNull();
      else if (col.type === 'VARCHAR') appender.appendVarchar(v as string);
      else if (col.type === 'DOUBLE') appender.appendDouble(v as number);
      else if (col.type === 'BOOLEAN') appender.appendBoolean(v as boolean);
      else if (col.type === 'BIGINT') appender.appendBigInt(BigInt(v as number));
      else appender.appendTimestamp(new DuckDBTimestampValue(BigInt(v as number) * 1000n));
    }
    appender.endRow();
  }
  appender.closeSync();
  const file = join(dir, 'part.parquet');
  await c.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
  bytes = readFileSync(file).byteLength;
  c.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
report({
  seconds,
  records: rows.length,
  peakRssMb: peakRssMb(),
  extra: { variant, columns: columns.length, bytes, rowsPerSecond: Math.round(rows.length / seconds) },
});
