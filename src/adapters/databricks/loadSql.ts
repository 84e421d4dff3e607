import { type ColumnDef, FIXED_COLUMNS } from '../../core/schema/fixedColumns.js';
import { type LoadPlan, loadPlan } from '../sql/loadRule.js';
import type { SqlParameter, SqlStatement } from '../sql/SqlDialect.js';
import {
  DATABRICKS_DIALECT,
  DATABRICKS_TYPES,
  logicalTypeSql,
  qualifiedSchema,
  qualifiedTable,
  quoteIdent,
  sqlString,
  TABLE_FILTER,
  type TableName,
  tableParameters,
} from './databricksSql.js';
import { batchFolder, DELETES_NAME, MANIFEST_NAME, ROWS_GLOB } from './StagedManifest.js';

export type { SqlParameter, SqlStatement };

export const LEDGER_TABLE = '_telemetry_load_ledger';
export const TOMBSTONE_TABLE = '_telemetry_deleted_events';
/** One row per loaded batch: what the load decided (read back by direct mode; job runs leave it for operators). */
export const LOAD_LOG_TABLE = '_telemetry_load_log';
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
    stmt(
      `CREATE TABLE IF NOT EXISTS ${qualifiedTable(target, LOAD_LOG_TABLE)} (\`batch_id\` STRING NOT NULL, ` +
        `\`logged_at\` TIMESTAMP, ${LOG_COUNTS.map((c) => `\`${c}\` BIGINT`).join(', ')}) USING DELTA`,
    ),
  ];
}

/** The counts of {@link loadPlan}, in its order. */
const LOG_COUNTS = ['inserted', 'updated', 'older', 'removed_before', 'deleted'] as const;

/** The table's columns in order (`data_type` is mapped back with `logicalType`). */
export function readColumnsSql(target: TableName): SqlStatement {
  return stmt(
    `SELECT column_name, data_type FROM system.information_schema.columns\nWHERE ${TABLE_FILTER}\nORDER BY ordinal_position`,
    tableParameters(target),
  );
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

/**
 * The parameters of one batch's load, the same in direct mode (statement parameters) and job mode (job parameters):
 * `batch_id` and the warehouse-readable URLs of the batch's rows, deletes and manifest.
 */
export const LOAD_PARAMETERS = ['batch_id', 'rows_path', 'deletes_path', 'manifest_path'] as const;

/** {@link LOAD_PARAMETERS} of a staged batch; `url` turns a key into what the warehouse reads (`s3://bucket/key`). */
export function loadParameters(
  url: (key: string) => string,
  stagedPrefix: string,
  batchId: string,
): SqlParameter[] {
  const folder = batchFolder(stagedPrefix, batchId);
  return [
    { name: 'batch_id', value: batchId },
    { name: 'rows_path', value: url(folder + ROWS_GLOB) },
    { name: 'deletes_path', value: url(folder + DELETES_NAME) },
    { name: 'manifest_path', value: url(folder + MANIFEST_NAME) },
  ];
}

/**
 * `read_files` without inference over anything but the batch's own files and with no `_rescued_data` column of its
 * own (ours has that name): `schemaEvolutionMode => 'none'`. Rows keep the types of the batch's Parquet footers (its
 * columns vary per batch, so they are not written into the statement: it stays the same for every batch); the
 * deletes and the manifest are read with their fixed schema.
 * https://docs.databricks.com/aws/en/sql/language-manual/functions/read_files
 */
function readFiles(pathParam: string, format: 'parquet' | 'json', schema?: string): string {
  const options = [
    `format => '${format}'`,
    ...(format === 'json' ? ['multiLine => true'] : []),
    ...(schema ? [`schema => ${sqlString(schema)}`] : []),
    "schemaEvolutionMode => 'none'",
  ];
  return `read_files(:${pathParam}, ${options.join(', ')})`;
}

const ROWS = `(SELECT * FROM ${readFiles('rows_path', 'parquet')})`;
const DELETES = `(SELECT * FROM ${readFiles('deletes_path', 'parquet', '`event_id` STRING, `sequence_number` STRING')})`;
/** The batch's manifest (`:manifest_path`), read with a fixed schema of the fields a statement needs. */
export const readManifestSql = (schema: string) => readFiles('manifest_path', 'json', schema);
const FILES = `(SELECT explode(m.files) AS \`file\` FROM ${readManifestSql('files ARRAY<STRING>')} AS m)`;

/** The statements of one batch's load, in order; {@link loadBatchSql}. */
export interface BatchLoadSql {
  /** Fails, naming the column, when a batch column's type differs from the table's (types never change silently). */
  readonly guard: SqlStatement;
  /** Records the load's decisions (computed before any change; the first record of a batch is kept). */
  readonly log: SqlStatement;
  readonly changes: readonly SqlStatement[];
  readonly insert: SqlStatement;
  readonly ledger: readonly SqlStatement[];
  /** The recorded decisions: inserted, updated, older, removed_before, deleted. */
  readonly readLog: SqlStatement;
}

/**
 * The statements that load one staged batch (the rule itself: src/adapters/sql/loadRule.ts). Their text depends on
 * the table only, never on the batch: direct mode runs them with the batch's {@link loadParameters}, and the
 * `telemetry-load` job's SQL file ({@link loadJobSql}) holds the same text and gets the same values as job
 * parameters. Every statement is safe to re-run; the ledger comes last.
 */
export function loadBatchSql(target: TableName, parameters: readonly SqlParameter[]): BatchLoadSql {
  const t = qualifiedTable(target);
  const log = qualifiedTable(target, LOAD_LOG_TABLE);
  const plan: LoadPlan = loadPlan(
    DATABRICKS_DIALECT,
    {
      table: t,
      tombstones: qualifiedTable(target, TOMBSTONE_TABLE),
      ledger: qualifiedTable(target, LEDGER_TABLE),
    },
    { rows: ROWS, deletes: DELETES, files: FILES, parameters },
    { batchId: '', files: [], batchColumns: [] },
  );
  const bind = (sql: string): SqlStatement => ({
    sql,
    parameters: parameters.filter((p) => sql.includes(`:${p.name}`)),
  });
  const columns = `(SELECT c.name, c.type FROM (SELECT explode(m.columns) AS c FROM ${readManifestSql('columns ARRAY<STRUCT<name: STRING, type: STRING>>')} AS m))`;
  const guard =
    bind(`SELECT raise_error(concat('column ', b.name, ' is ', x.type, ' in the table but ', b.type, ' in batch ', :batch_id, ': types never change silently'))
FROM ${columns} AS b
JOIN (SELECT column_name, ${logicalTypeSql('data_type')} AS type FROM system.information_schema.columns
      WHERE table_catalog = ${sqlString(target.catalog)} AND table_schema = ${sqlString(target.schema)} AND table_name = ${sqlString(target.table)}) AS x
  ON lower(x.column_name) = lower(b.name)
WHERE x.type <> b.type`);
  const logRow = bind(`MERGE INTO ${log} AS l
USING (SELECT :batch_id AS \`batch_id\`, now() AS \`logged_at\`, c.* FROM (${plan.counts.sql}) AS c) AS n
ON l.\`batch_id\` = n.\`batch_id\`
WHEN NOT MATCHED THEN INSERT *`);
  const readLog = bind(
    `SELECT ${LOG_COUNTS.map((c) => `\`${c}\``).join(', ')} FROM ${log} WHERE \`batch_id\` = :batch_id`,
  );
  return { guard, log: logRow, changes: plan.changes, insert: plan.insert, ledger: plan.ledger, readLog };
}

/** The statements of {@link loadBatchSql} in the order they run. */
export function loadSequence(s: BatchLoadSql): SqlStatement[] {
  return [s.guard, s.log, ...s.changes, s.insert, ...s.ledger];
}
