import { DAY_MS, type TableStatus } from '../../ports/TableStatus.js';
import type { SqlParameter } from '../sql/SqlDialect.js';
import type { SqlRunner } from './DatabricksSink.js';
import { qualifiedTable, TABLE_FILTER, type TableName, tableParameters } from './databricksSql.js';
import { LEDGER_TABLE } from './loadSql.js';

/** A JSON_ARRAY timestamp (`2025-11-25T20:00:00Z`, or without a zone: UTC) -> epoch ms; undefined for NULL. */
function epochMs(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

/**
 * The Unity Catalog table's side of `telemetry status`, read-only through the SQL warehouse: rows, columns, raw objects
 * loaded and the last load (from the ledger), the newest `recorded_at`, and events per make in the 24 hours before
 * `now`. Five small queries; the same shape as DuckDB's.
 */
export async function databricksTableStatus(
  sql: SqlRunner,
  target: TableName,
  now: number,
): Promise<TableStatus> {
  const t = qualifiedTable(target);
  const ledger = qualifiedTable(target, LEDGER_TABLE);
  const first = async (text: string, parameters: readonly SqlParameter[] = []) =>
    (await sql.execute({ sql: text, parameters })).rows;
  const [[rows, newest] = []] = await first(`SELECT count(*), max(\`recorded_at\`) FROM ${t}`);
  const [[columns] = []] = await first(
    `SELECT count(*) FROM system.information_schema.columns WHERE ${TABLE_FILTER}`,
    tableParameters(target),
  );
  const [[loaded, last] = []] = await first(`SELECT count(*), max(\`loaded_at\`) FROM ${ledger}`);
  const [[batchId, batchObjects] = []] = await first(
    `SELECT \`batch_id\`, count(*) FROM ${ledger} GROUP BY \`batch_id\` ORDER BY max(\`loaded_at\`) DESC LIMIT 1`,
  );
  const perMake = await first(
    `SELECT coalesce(\`vehicle_make\`, '(unknown)') AS make, count(*) AS n FROM ${t}
WHERE \`recorded_at\` > :from AND \`recorded_at\` <= :to GROUP BY 1 ORDER BY n DESC, make`,
    [
      { name: 'from', value: new Date(now - DAY_MS).toISOString(), type: 'TIMESTAMP' },
      { name: 'to', value: new Date(now).toISOString(), type: 'TIMESTAMP' },
    ],
  );
  const lastLoadAt = epochMs(last);
  const newestRecordedAt = epochMs(newest);
  return {
    name: `${target.catalog}.${target.schema}.${target.table}`,
    rows: Number(rows ?? 0),
    columns: Number(columns ?? 0),
    loadedObjects: Number(loaded ?? 0),
    ...(lastLoadAt === undefined ? {} : { lastLoadAt }),
    ...(batchId ? { lastBatch: { id: batchId, objects: Number(batchObjects ?? 0) } } : {}),
    ...(newestRecordedAt === undefined ? {} : { newestRecordedAt }),
    eventsPerMake24h: Object.fromEntries(perMake.map(([make, n]) => [String(make), Number(n)])),
  };
}
