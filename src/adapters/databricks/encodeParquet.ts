import { type ColumnSource, parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import type { FlatRow } from '../../core/flatten/flattenEvent.js';
import type { ColumnType } from '../../core/schema/ColumnType.js';
import type { ColumnDef } from '../../core/schema/fixedColumns.js';

/**
 * Parquet physical/logical types that read back in Databricks as the table's types: BIGINT is INT64, DOUBLE is
 * DOUBLE, TIMESTAMP is INT64 microseconds adjusted to UTC (an instant), STRING is UTF-8 BYTE_ARRAY.
 */
function schemaElement(name: string, type: ColumnType): SchemaElement {
  const base = { name, repetition_type: 'OPTIONAL' as const };
  switch (type) {
    case 'BOOLEAN':
      return { ...base, type: 'BOOLEAN' };
    case 'DOUBLE':
      return { ...base, type: 'DOUBLE' };
    case 'BIGINT':
      return { ...base, type: 'INT64' };
    case 'TIMESTAMP':
      return {
        ...base,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    case 'VARCHAR':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
  }
}

function columnValues(rows: readonly FlatRow[], col: ColumnDef): unknown[] {
  const out = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as FlatRow)[col.name];
    if (v === undefined || v === null) out[i] = null;
    else if (col.type === 'BIGINT') out[i] = BigInt(v as number);
    else if (col.type === 'TIMESTAMP') out[i] = BigInt(v as number) * 1000n;
    else out[i] = v;
  }
  return out;
}

/**
 * Encodes rows as one Parquet file (Snappy, statistics on) with exactly the given columns and types.
 * TIMESTAMP values in rows are epoch milliseconds.
 *
 * @example
 * const bytes = encodeParquet(batch.rows, batch.columns);
 */
export function encodeParquet(rows: readonly FlatRow[], columns: readonly ColumnDef[]): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  const columnData: ColumnSource[] = [];
  for (const col of columns) {
    schema.push(schemaElement(col.name, col.type));
    columnData.push({ name: col.name, data: columnValues(rows, col) as ColumnSource['data'] });
  }
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    rowGroupSize: 100_000,
    createdBy: 'chargeminder-telemetry',
  });
  return new Uint8Array(buffer);
}
