import { type ColumnDef, FIXED_COLUMNS } from '../../core/schema/fixedColumns.js';
import { type LoadPlan, loadPlan } from '../sql/loadRule.js';
import type { SqlParameter, SqlStatement } from '../sql/SqlDialect.js';
import {
  DATABRICKS_DIALECT,
  DATABRICKS_TYPES,
  qualifiedSchema,
  qualifiedTable,
  quoteIdent,
  sqlString,
  type TableName,
} from './databricksSql.js';

export type { SqlParameter, SqlStatement };

export const LEDGER_TABLE = '_telemetry_load_ledger';
export const TOMBSTONE_TABLE = '_telemetry_deleted_events';
/** Liquid clustering by what users filter on: a vehicle's history over time. */
export const CLUSTER_COLUMNS = ['vehicle_id', 'recorded_at'] as const;

const stmt = (sql: string, parameters: readonly SqlParameter[] = []): SqlStatement => ({ sql, parameters });

function columnList(columns: readonly ColumnDef[]): string {
  return columns.map((c) => `${quoteIdent(c.name)} ${DATABRICKS_TYPES[c.type]}`).join(', ');
}

/** Schema, table (Delta, column mapping by name, liquid clustering), load ledger and tombstones; all idempotent. */
export function ensureTablesSql(target: TableName): SqlStatement[] {
  const cluster = CLUSTER_COLUMNS.map(quoteIdent).join(', ');
  return [
    stmt(`CREATE SCHEMA IF NOT EXISTS ${qualifiedSchema(target)}`),
    stmt(
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(target)} (${columnList(FIXED_COLUMNS)})\n` +
        `USING DELTA\nCLUSTER BY (${cluster})\n` +
        `TBLPROPERTIES ('delta.columnMapping.mode' = 'name', 'delta.enableDeletionVectors' = 'true')`,
    ),
    stmt(
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(target, LEDGER_TABLE)} ` +
        '(`batch_id` STRING NOT NULL, `file` STRING NOT NULL, `loaded_at` TIMESTAMP) USING DELTA',
    ),
    stmt(
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(target, TOMBSTONE_TABLE)} ` +
        '(`event_id` STRING NOT NULL, `sequence_number` STRING NOT NULL) USING DELTA',
    ),
  ];
}

/** The table's columns in order (`data_type` is mapped back with `logicalType`). */
export function readColumnsSql(target: TableName): SqlStatement {
  return stmt(
    'SELECT column_name, data_type FROM system.information_schema.columns\n' +
      'WHERE table_catalog = :catalog AND table_schema = :schema AND table_name = :table\n' +
      'ORDER BY ordinal_position',
    [
      // Unity Catalog keeps names in lower case.
      { name: 'catalog', value: target.catalog.toLowerCase() },
      { name: 'schema', value: target.schema.toLowerCase() },
      { name: 'table', value: target.table.toLowerCase() },
    ],
  );
}

/** `ALTER TABLE ... ADD COLUMNS (...)` for the columns the table lacks (one statement; none when empty). */
export function addColumnsSql(target: TableName, columns: readonly ColumnDef[]): SqlStatement[] {
  if (columns.length === 0) return [];
  return [stmt(`ALTER TABLE ${qualifiedTable(target)} ADD COLUMNS (${columnList(columns)})`)];
}

/** Which of these raw object keys the ledger holds; at most `chunk` keys per statement. */
export function loadedFilesSql(target: TableName, keys: readonly string[], chunk = 200): SqlStatement[] {
  const out: SqlStatement[] = [];
  for (let i = 0; i < keys.length; i += chunk) {
    const part = keys.slice(i, i + chunk);
    const marks = part.map((_, j) => `:f${j}`).join(', ');
    out.push(
      stmt(
        `SELECT DISTINCT \`file\` FROM ${qualifiedTable(target, LEDGER_TABLE)} WHERE \`file\` IN (${marks})`,
        part.map((value, j) => ({ name: `f${j}`, value })),
      ),
    );
  }
  return out;
}

export function batchLoadedSql(target: TableName, batchId: string): SqlStatement {
  return stmt(
    `SELECT count(*) AS n FROM ${qualifiedTable(target, LEDGER_TABLE)} WHERE \`batch_id\` = :batch_id`,
    [{ name: 'batch_id', value: batchId }],
  );
}

/** Where a staged batch's Parquet files are, as URLs the warehouse can read (`s3://bucket/staged/<batchId>/`). */
export interface StagedLocation {
  readonly batchId: string;
  /** Glob of the row files, e.g. `s3://bucket/staged/abc/part-*.parquet`. */
  readonly rowsGlob: string;
  /** The REMOVE file, when the batch has deletes. */
  readonly deletesGlob?: string;
  /** The batch's columns (what the Parquet files hold). */
  readonly columns: readonly ColumnDef[];
  readonly files: readonly string[];
}

/**
 * `read_files` with the schema given and no schema evolution: no inference (an empty or odd folder cannot change
 * the columns) and no `_rescued_data` column of its own (ours has that name).
 */
function readParquet(pathParam: string, columns: readonly ColumnDef[]): string {
  const schema = columns.map((c) => `${quoteIdent(c.name)} ${DATABRICKS_TYPES[c.type]}`).join(', ');
  return `(SELECT * FROM read_files(:${pathParam}, format => 'parquet', schema => ${sqlString(schema)}, schemaEvolutionMode => 'none'))`;
}

const DELETE_COLUMNS: readonly ColumnDef[] = [
  { name: 'event_id', type: 'VARCHAR' },
  { name: 'sequence_number', type: 'VARCHAR' },
];

/**
 * The statements that load one staged batch (the rule itself is src/adapters/sql/loadRule.ts). Every one is safe
 * to re-run; the ledger comes last. `tableColumns` are the table's columns after schema evolution.
 */
export function loadBatchSql(
  target: TableName,
  staged: StagedLocation,
  tableColumns: readonly ColumnDef[],
): LoadPlan {
  const parameters: SqlParameter[] = [{ name: 'rows_path', value: staged.rowsGlob }];
  if (staged.deletesGlob) parameters.push({ name: 'deletes_path', value: staged.deletesGlob });
  return loadPlan(
    DATABRICKS_DIALECT,
    {
      table: qualifiedTable(target),
      tombstones: qualifiedTable(target, TOMBSTONE_TABLE),
      ledger: qualifiedTable(target, LEDGER_TABLE),
    },
    {
      rows: readParquet('rows_path', staged.columns),
      ...(staged.deletesGlob ? { deletes: readParquet('deletes_path', DELETE_COLUMNS) } : {}),
      parameters,
    },
    { batchId: staged.batchId, files: staged.files, batchColumns: staged.columns, tableColumns },
  );
}
