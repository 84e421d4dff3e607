import type { DuckDBConnection } from '@duckdb/node-api';
import { qualified, quoteIdent } from './duckDbSql.js';

/** One column of the table as it stands: DuckDB type and how many rows hold a value. */
export interface ColumnStats {
  readonly name: string;
  readonly type: string;
  readonly rowsWithValue: number;
}

/**
 * The table's columns in table order with their non-null counts, in one scan (`count(col)` per column).
 *
 * @example
 * const { rows, columns } = await duckDbColumnStats(connection, 'telemetry', 'car_telemetry_flattened');
 */
export async function duckDbColumnStats(
  c: DuckDBConnection,
  schema: string,
  table: string,
): Promise<{ rows: number; columns: ColumnStats[] }> {
  const described = (
    await c.runAndReadAll(
      'SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 ORDER BY column_index',
      [schema, table],
    )
  ).getRows();
  const counts = ['count(*)', ...described.map(([name]) => `count(${quoteIdent(String(name))})`)];
  const [total = 0, ...perColumn] =
    (await c.runAndReadAll(`SELECT ${counts.join(', ')} FROM ${qualified(schema, table)}`)).getRows()[0] ??
    [];
  return {
    rows: Number(total),
    columns: described.map(([name, type], i) => ({
      name: String(name),
      type: String(type),
      rowsWithValue: Number(perColumn[i] ?? 0),
    })),
  };
}
