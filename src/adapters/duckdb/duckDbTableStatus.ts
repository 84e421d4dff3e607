import type { DuckDBConnection } from '@duckdb/node-api';
import { DAY_MS, type TableStatus } from '../../ports/TableStatus.js';
import { LEDGER_TABLE, qualified } from './duckDbSql.js';

export type { TableStatus };

/**
 * The table's status for `telemetry status`: rows, columns, raw objects loaded and the last load (from the ledger),
 * the newest `recorded_at`, and events per make recorded in the 24 hours before `now`.
 */
export async function duckDbTableStatus(
  c: DuckDBConnection,
  schema: string,
  table: string,
  now: number,
): Promise<TableStatus> {
  const target = qualified(schema, table);
  const ms = (column: string) => `epoch_ms(max(${column}))`;
  const row = async (sql: string, values: (string | number)[] = []) =>
    (await c.runAndReadAll(sql, values)).getRows()[0] ?? [];
  const [rows, newest] = await row(`SELECT count(*), ${ms('recorded_at')} FROM ${target}`);
  const [columns] = await row(
    'SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2',
    [schema, table],
  );
  const [loaded, last] = await row(
    `SELECT count(*), ${ms('loaded_at')} FROM ${qualified(schema, LEDGER_TABLE)}`,
  );
  const [batchId, batchObjects] = await row(
    `SELECT batch_id, count(*) FROM ${qualified(schema, LEDGER_TABLE)} GROUP BY batch_id ORDER BY max(loaded_at) DESC LIMIT 1`,
  );
  const perMake = (
    await c.runAndReadAll(
      `SELECT coalesce(vehicle_make, '(unknown)') AS make, count(*) FROM ${target}
       WHERE recorded_at > make_timestamp($1::BIGINT * 1000) AND recorded_at <= make_timestamp($2::BIGINT * 1000)
       GROUP BY make ORDER BY count(*) DESC, make`,
      [now - DAY_MS, now],
    )
  ).getRows();
  return {
    name: `${schema}.${table}`,
    rows: Number(rows),
    columns: Number(columns),
    loadedObjects: Number(loaded),
    ...(last === null || last === undefined ? {} : { lastLoadAt: Number(last) }),
    ...(batchId === null || batchId === undefined
      ? {}
      : { lastBatch: { id: String(batchId), objects: Number(batchObjects) } }),
    ...(newest === null || newest === undefined ? {} : { newestRecordedAt: Number(newest) }),
    eventsPerMake24h: Object.fromEntries(perMake.map(([make, n]) => [String(make), Number(n)])),
  };
}
