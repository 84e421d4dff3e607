import { type ColumnDef, FIXED_COLUMNS } from '../../core/schema/fixedColumns.js';
import {
  DATABRICKS_TYPES,
  qualifiedSchema,
  qualifiedTable,
  quoteIdent,
  type TableName,
} from './databricksSql.js';

/** A named statement parameter (Statement Execution API: values travel as strings, typed by `type`). */
export interface SqlParameter {
  readonly name: string;
  readonly value: string | null;
  readonly type?: 'STRING' | 'BIGINT' | 'TIMESTAMP';
}

/** One SQL statement with its parameters. Identifiers are quoted in `sql`; every value is a parameter. */
export interface SqlStatement {
  readonly sql: string;
  readonly parameters: readonly SqlParameter[];
}

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
      { name: 'catalog', value: target.catalog },
      { name: 'schema', value: target.schema },
      { name: 'table', value: target.table },
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

/** Where a staged batch's Parquet files are, as URLs the warehouse can read (`s3://bucket/staged/batch_id=.../`). */
export interface StagedLocation {
  readonly batchId: string;
  /** Glob of the row files, e.g. `s3://bucket/staged/batch_id=abc/part-*.parquet`. */
  readonly rowsGlob: string;
  /** Glob of the REMOVE file, when the batch has deletes. */
  readonly deletesGlob?: string;
  /** The batch's columns (what the Parquet files hold). */
  readonly columns: readonly ColumnDef[];
  readonly files: readonly string[];
}

const ROWS = `(SELECT * FROM read_files(:rows_path, format => 'parquet')
    QUALIFY row_number() OVER (PARTITION BY \`event_id\` ORDER BY \`pipeline_sequence_number\` DESC) = 1)`;
const DELETES = `(SELECT \`event_id\`, \`sequence_number\` FROM read_files(:deletes_path, format => 'parquet')
    QUALIFY row_number() OVER (PARTITION BY \`event_id\` ORDER BY \`sequence_number\` DESC) = 1)`;

/**
 * The statements that load one staged batch into the table, in order. Every one is safe to re-run:
 *  1. counts (what will be inserted / updated / deleted; the rest is unchanged),
 *  2. deletes: REMOVE rows delete only an older row,
 *  3. tombstones: the highest REMOVE sequence per event_id is remembered,
 *  4. the merge: one source row per event_id (highest sequence), skipped when a tombstone is as new or newer;
 *     a newer version with a different content hash replaces the whole row (columns it lacks become NULL),
 *  5. the ledger rows for the batch's raw objects.
 * `tableColumns` are the table's columns after schema evolution (a superset of the batch's).
 */
export function loadBatchSql(
  target: TableName,
  staged: StagedLocation,
  tableColumns: readonly ColumnDef[],
): { counts: SqlStatement; changes: SqlStatement[]; ledger: SqlStatement[] } {
  const t = qualifiedTable(target);
  const tomb = qualifiedTable(target, TOMBSTONE_TABLE);
  const ledger = qualifiedTable(target, LEDGER_TABLE);
  const rowsParam: SqlParameter = { name: 'rows_path', value: staged.rowsGlob };
  const deletesParam: SqlParameter | undefined = staged.deletesGlob
    ? { name: 'deletes_path', value: staged.deletesGlob }
    : undefined;
  const deleteSource = deletesParam
    ? DELETES
    : '(SELECT CAST(NULL AS STRING) AS `event_id`, CAST(NULL AS STRING) AS `sequence_number` WHERE 1 = 0)';
  const countParams = deletesParam ? [rowsParam, deletesParam] : [rowsParam];

  const counts = stmt(
    `SELECT
  (SELECT count_if(t.\`event_id\` IS NULL AND (d.\`event_id\` IS NULL OR s.\`pipeline_sequence_number\` > d.\`sequence_number\`))
     FROM ${ROWS} AS s
     LEFT JOIN ${t} AS t ON t.\`event_id\` = s.\`event_id\`
     LEFT JOIN ${tomb} AS d ON d.\`event_id\` = s.\`event_id\`) AS inserted,
  (SELECT count_if(s.\`pipeline_sequence_number\` >= t.\`pipeline_sequence_number\`
                   AND s.\`pipeline_content_hash\` IS DISTINCT FROM t.\`pipeline_content_hash\`)
     FROM ${ROWS} AS s
     JOIN ${t} AS t ON t.\`event_id\` = s.\`event_id\`) AS updated,
  (SELECT count(*) FROM ${deleteSource} AS r
     JOIN ${t} AS t ON t.\`event_id\` = r.\`event_id\`
     WHERE r.\`sequence_number\` > t.\`pipeline_sequence_number\`) AS deleted`,
    countParams,
  );

  const changes: SqlStatement[] = [];
  if (deletesParam) {
    changes.push(
      stmt(
        `MERGE INTO ${t} AS t
USING ${DELETES} AS r
ON t.\`event_id\` = r.\`event_id\`
WHEN MATCHED AND r.\`sequence_number\` > t.\`pipeline_sequence_number\` THEN DELETE`,
        [deletesParam],
      ),
      stmt(
        `MERGE INTO ${tomb} AS d
USING ${DELETES} AS r
ON d.\`event_id\` = r.\`event_id\`
WHEN MATCHED AND r.\`sequence_number\` > d.\`sequence_number\` THEN UPDATE SET \`sequence_number\` = r.\`sequence_number\`
WHEN NOT MATCHED THEN INSERT (\`event_id\`, \`sequence_number\`) VALUES (r.\`event_id\`, r.\`sequence_number\`)`,
        [deletesParam],
      ),
    );
  }
  const inBatch = new Set(staged.columns.map((c) => c.name.toLowerCase()));
  const sets = tableColumns
    .filter((c) => c.name !== 'event_id')
    .map(
      (c) =>
        `${quoteIdent(c.name)} = ${inBatch.has(c.name.toLowerCase()) ? `s.${quoteIdent(c.name)}` : 'NULL'}`,
    );
  const names = staged.columns.map((c) => quoteIdent(c.name));
  changes.push(
    stmt(
      `MERGE INTO ${t} AS t
USING (SELECT * FROM ${ROWS} AS s0
  WHERE NOT EXISTS (SELECT 1 FROM ${tomb} AS d
                    WHERE d.\`event_id\` = s0.\`event_id\` AND d.\`sequence_number\` >= s0.\`pipeline_sequence_number\`)) AS s
ON t.\`event_id\` = s.\`event_id\`
WHEN MATCHED AND s.\`pipeline_sequence_number\` >= t.\`pipeline_sequence_number\`
  AND s.\`pipeline_content_hash\` IS DISTINCT FROM t.\`pipeline_content_hash\` THEN UPDATE SET
  ${sets.join(',\n  ')}
WHEN NOT MATCHED THEN INSERT (${names.join(', ')})
  VALUES (${names.map((n) => `s.${n}`).join(', ')})`,
      [rowsParam],
    ),
  );

  const ledgerStatements: SqlStatement[] = [];
  for (let i = 0; i < staged.files.length; i += 200) {
    const part = staged.files.slice(i, i + 200);
    ledgerStatements.push(
      stmt(
        `INSERT INTO ${ledger} (\`batch_id\`, \`file\`, \`loaded_at\`)
SELECT :batch_id, v.f, now() FROM (VALUES ${part.map((_, j) => `(:f${j})`).join(', ')}) AS v(f)
WHERE NOT EXISTS (SELECT 1 FROM ${ledger} AS l WHERE l.\`batch_id\` = :batch_id AND l.\`file\` = v.f)`,
        [{ name: 'batch_id', value: staged.batchId }, ...part.map((value, j) => ({ name: `f${j}`, value }))],
      ),
    );
  }
  return { counts, changes, ledger: ledgerStatements };
}
