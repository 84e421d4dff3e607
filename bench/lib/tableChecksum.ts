import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { FIXED_COLUMN_NAMES } from '../../src/core/schema/fixedColumns.js';
import { RowChecksum, SAMPLE_COLUMNS } from './sampleColumns.js';

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Row count, checksum over the sample columns and count of signal columns (fixed and hashed names excluded). */
export async function tableChecksum(
  connection: DuckDBConnection,
  schema: string,
  table: string,
): Promise<{ rows: number; checksum: string; columns: number }> {
  const info = await connection.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [schema, table],
  );
  const names = new Set(info.getRows().map(([n]) => String(n)));
  const select = SAMPLE_COLUMNS.map((c) => {
    if (!names.has(c.name)) return 'NULL';
    return c.timestamp ? `epoch_ms(${quote(c.name)})` : quote(c.name);
  }).join(', ');
  const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${quote(schema)}.${quote(table)}`);
  const sum = new RowChecksum();
  for (const row of reader.getRows()) sum.add(row);
  const dataColumns = [...names].filter(
    (n) => /^[A-Za-z0-9_]+$/.test(n) && !n.includes('__h') && !FIXED_COLUMN_NAMES.has(n),
  ).length;
  return { rows: sum.rows, checksum: sum.hex(), columns: dataColumns };
}

/** {@link tableChecksum} of our table in a finished warehouse file, opened read-only. */
export async function warehouseChecksum(
  file: string,
): Promise<{ rows: number; checksum: string; columns: number }> {
  const reader = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await reader.connect();
  try {
    return await tableChecksum(connection, 'telemetry', 'car_telemetry_flattened');
  } finally {
    connection.closeSync();
    reader.closeSync();
  }
}
