import {
  columnComment,
  describeColumn,
  LATEST_STATE_VIEW,
  latestStateColumns,
  OBSERVED_AT_SUFFIX,
  TABLE_DESCRIPTION,
} from '../../core/catalog/columnDocs.js';
import { errorMessage } from '../../core/errors.js';
import { FIXED_COLUMN_NAMES } from '../../core/schema/fixedColumns.js';
import type { SqlStatement } from '../sql/SqlDialect.js';
import {
  escapeIdentSql,
  escapeStringSql,
  qualifiedTable,
  quoteIdent,
  sqlString,
  TABLE_FILTER,
  type TableName,
  tableParameters,
} from './databricksSql.js';
import type { StatementResult } from './StatementClient.js';

/** The Unity Catalog column tag that marks sensitive columns: `classification` = `pii`. */
export const CLASSIFICATION_TAG = 'classification';

const stmt = (sql: string): SqlStatement => ({ sql, parameters: [] });

/** Between the columns of one statement (comments, view values). */
const COLUMN_SEPARATOR = ',\n  ';
const PII_TAG = `(${sqlString(CLASSIFICATION_TAG)} = ${sqlString('pii')})`;

const commentText = (name: string): string => columnComment(describeColumn(name));

/** One column of {@link columnCommentsBatchSql}: `name COMMENT 'text'`. */
function commentClause(name: string, text: string): string {
  return `${quoteIdent(name)} COMMENT ${sqlString(text)}`;
}

function alterColumns(target: TableName): string {
  return `ALTER TABLE ${qualifiedTable(target)} ALTER COLUMN `;
}

function piiTag(target: TableName, name: string): string {
  return `${alterColumns(target)}${quoteIdent(name)} SET TAGS ${PII_TAG}`;
}

/** Every column of the table in order, and whether it has a comment (one read; names as Unity Catalog keeps them). */
export function columnCommentsSql(target: TableName): SqlStatement {
  return {
    sql:
      'SELECT column_name, CASE WHEN comment IS NULL THEN 0 ELSE 1 END AS commented\n' +
      `FROM system.information_schema.columns\nWHERE ${TABLE_FILTER}\nORDER BY ordinal_position`,
    parameters: tableParameters(target),
  };
}

/**
 * The comments of these columns (description, unit, Smartcar signal, classification: src/core/catalog/columnDocs.ts)
 * in ONE statement, `ALTER TABLE t ALTER COLUMN a COMMENT '..', b COMMENT '..'` (one Delta commit instead of one per
 * column; Apache Spark 4.0+, SPARK-50883). {@link documentTable} falls back to {@link columnCommentSql} per column
 * where a runtime does not parse it.
 */
export function columnCommentsBatchSql(target: TableName, columns: readonly string[]): SqlStatement {
  const each = columns.map((name) => commentClause(name, commentText(name)));
  return stmt(alterColumns(target) + each.join(COLUMN_SEPARATOR));
}

/** One column's comment: https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-comment (DBR 16.1+). */
export function columnCommentSql(target: TableName, name: string): SqlStatement {
  const text = commentText(name);
  return stmt(`COMMENT ON COLUMN ${qualifiedTable(target)}.${quoteIdent(name)} IS ${sqlString(text)}`);
}

/**
 * The Unity Catalog tag `classification` = `pii` on each sensitive column among these, so that governance (tag
 * policies, column masks, searches by tag) finds them; one column per statement, as the syntax allows:
 * https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-set-tag
 */
export function piiTagsSql(target: TableName, columns: readonly string[]): SqlStatement[] {
  return columns
    .filter((name) => describeColumn(name).classification === 'pii')
    .map((name) => stmt(piiTag(target, name)));
}

export function tableCommentSql(target: TableName): SqlStatement {
  return stmt(`COMMENT ON TABLE ${qualifiedTable(target)} IS ${sqlString(TABLE_DESCRIPTION)}`);
}

/**
 * The `car_latest_state` view: one row per vehicle_id with `events`, `last_recorded_at` and, for every signal
 * column (and make, model, year), the latest non-null value and `<column>__observed_at`, the `recorded_at` of the
 * event it came from. "Latest" is by `recorded_at`, then the order key (ties); events without `recorded_at` give no
 * values. `max_by` skips rows whose ordering is NULL, so a NULL ordering for NULL values makes it "latest non-null"
 * (https://docs.databricks.com/aws/en/sql/language-manual/functions/max_by); the same meaning as DuckDB's view
 * (src/adapters/duckdb/duckDbDocs.ts). `CREATE OR REPLACE`: recreated with the columns the table has now.
 */
export function latestStateViewSql(target: TableName, columns: readonly string[]): SqlStatement {
  return stmt(
    latestStateView(target, latestStateColumns(columns).map(latestStateValues).join(COLUMN_SEPARATOR)),
  );
}

const WHEN = '`recorded_at`';

/** One column's two values in {@link latestStateViewSql}: the latest non-null value and when it was observed. */
function latestStateValues(column: string): string {
  const key = `named_struct('at', ${WHEN}, 'seq', coalesce(\`pipeline_sequence_number\`, ''))`;
  const q = quoteIdent(column);
  const known = `${q} IS NOT NULL AND ${WHEN} IS NOT NULL`;
  return [
    `max_by(${q}, CASE WHEN ${known} THEN ${key} END) AS ${q}`,
    `max(CASE WHEN ${known} THEN ${WHEN} END) AS ${quoteIdent(column + OBSERVED_AT_SUFFIX)}`,
  ].join(COLUMN_SEPARATOR);
}

function latestStateView(target: TableName, values: string): string {
  const comment = `Each vehicle's latest non-null value of every signal column, with <column>${OBSERVED_AT_SUFFIX} (the recorded_at it came from); recreated when columns are added.`;
  return (
    `CREATE OR REPLACE VIEW ${qualifiedTable(target, LATEST_STATE_VIEW)}\nCOMMENT ${sqlString(comment)}\nAS SELECT \`vehicle_id\`, ` +
    `count(*) AS \`events\`, max(${WHEN}) AS \`last_recorded_at\`,\n  ${values}\n` +
    `FROM ${qualifiedTable(target)}\nWHERE \`vehicle_id\` IS NOT NULL\nGROUP BY \`vehicle_id\``
  );
}

/** What {@link documentTableSql} writes: the columns' comments, then tags, table comment and view. */
export interface TableDocsSql {
  /** Columns without a comment (new ones: columns are only ever added); empty when there is nothing to do. */
  readonly columns: readonly string[];
  readonly comments: SqlStatement | undefined;
  readonly rest: readonly SqlStatement[];
}

/**
 * What makes the table explain itself, from {@link columnCommentsSql}'s rows: comments and `pii` tags on the columns
 * without a comment, then the table comment and `car_latest_state` over all columns. Nothing when every column has
 * a comment (a user's own comments are kept). Pure.
 */
export function documentTableSql(target: TableName, rows: StatementResult['rows']): TableDocsSql {
  const all = rows.flatMap(([name]) => (name ? [name] : []));
  const columns = rows.flatMap(([name, commented]) => (name && Number(commented) === 0 ? [name] : []));
  if (columns.length === 0) return { columns, comments: undefined, rest: [] };
  return {
    columns,
    comments: columnCommentsBatchSql(target, columns),
    rest: [...piiTagsSql(target, columns), tableCommentSql(target), latestStateViewSql(target, all)],
  };
}

/**
 * Documents the table's undocumented columns, its comment and the view: one read, then only what is needed (a
 * commit for all comments, one per `pii` tag, the table comment, the view). Used after a direct-mode load that may
 * have added columns.
 */
export async function documentTable(
  execute: (statement: SqlStatement) => Promise<StatementResult>,
  target: TableName,
): Promise<void> {
  const docs = documentTableSql(target, (await execute(columnCommentsSql(target))).rows);
  if (docs.comments) {
    try {
      await execute(docs.comments);
    } catch (error) {
      // A runtime without the multi-column form: the documented one column per statement.
      if (!/PARSE_SYNTAX_ERROR/.test(errorMessage(error))) throw error;
      for (const name of docs.columns) await execute(columnCommentSql(target, name));
    }
  }
  for (const s of docs.rest) await execute(s);
}

// ---- Job mode: the same statements, built in the warehouse --------------------------------------------------------

const HOLE = '\u0001';
/** The n-th value of {@link textSql}, in place of a name or text given to a statement builder. */
export const hole = (n: number): string => `${HOLE}${n}${HOLE}`;

/**
 * SQL that builds, in the warehouse, a statement text made by the builders above: they are called with {@link hole}s
 * in place of names and texts, and each hole becomes `values[n]` (a SQL expression) escaped for where it stands:
 * inside backticks as an identifier, inside quotes as a string literal, elsewhere as SQL text built the same way. So
 * job mode runs the statements direct mode sends (one implementation), and no name or text from data can end a quote.
 */
export function textSql(text: string, values: readonly string[]): string {
  const parts: string[] = [];
  let piece = '';
  let inside: '' | '`' | "'" = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === HOLE) {
      const end = text.indexOf(HOLE, i + 1);
      const value = values[Number(text.slice(i + 1, end))];
      if (value === undefined) throw new Error(`textSql: no value for ${text.slice(i + 1, end)}`);
      parts.push(sqlString(piece));
      parts.push(inside === '`' ? escapeIdentSql(value) : inside === "'" ? escapeStringSql(value) : value);
      piece = '';
      i = end;
      continue;
    }
    piece += c;
    if (inside === '' && (c === '`' || c === "'")) inside = c;
    else if (inside === '`' && c === '`' && text[i + 1] === '`') piece += text[++i];
    else if (inside === "'" && c === '\\') piece += text[++i] ?? '';
    else if (c === inside) inside = '';
  }
  parts.push(sqlString(piece));
  return `concat(${parts.join(', ')})`;
}

/** The documentation of a batch's columns, as staged in its manifest (`docs`), so the load job needs no catalog. */
export interface ColumnDocEntry {
  readonly name: string;
  readonly comment: string;
  readonly pii: boolean;
}

/** {@link ColumnDocEntry} of these columns, in the words of src/core/catalog/columnDocs.ts. */
export function columnDocEntries(columns: readonly string[]): ColumnDocEntry[] {
  return columns.map((name) => {
    const doc = describeColumn(name);
    return { name, comment: columnComment(doc), pii: doc.classification === 'pii' };
  });
}

/** The manifest field {@link jobDocsSql} reads, as a `read_files` schema. */
export const MANIFEST_DOCS_SCHEMA = 'docs ARRAY<STRUCT<name: STRING, comment: STRING, pii: BOOLEAN>>';

/** Documentation statements a job run executes at most (empty slots run `SELECT 1`); the rest waits for the next run. */
export const JOB_DOC_SLOTS = 10;
const DOCS_VAR = 'telemetry_docs';
const DOC_VAR = 'telemetry_doc';
const NOTHING = 'SELECT 1';

/**
 * The load job's documentation step (job mode; its SQL file is the same for every batch): what
 * {@link documentTableSql} decides in direct mode, computed in SQL from the manifest's `docs` (read by `manifest`,
 * a `read_files` over `:manifest_path` with the given schema) and information_schema, into a session variable:
 * `pii` tags of the columns without a comment and without the tag, the table comment, `car_latest_state` over all
 * columns, and last one `ALTER … COMMENT` for those columns; nothing when every documented column has a comment. Then
 * {@link JOB_DOC_SLOTS} `EXECUTE IMMEDIATE`s run them (a statement string must be a literal or a variable before
 * Databricks Runtime 17.3, and a file has a fixed number of statements). The comments come last, as what marks a
 * column done: a batch with more new `pii` columns than slots finishes on the next runs.
 * https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-aux-execute-immediate
 */
export function jobDocsSql(target: TableName, manifest: (schema: string) => string): SqlStatement[] {
  const filter = (catalog: string, schema: string) =>
    `${catalog} = ${sqlString(target.catalog)} AND ${schema} = ${sqlString(target.schema)} AND table_name = ${sqlString(target.table)}`;
  const ordered = (item: string) => `transform(sort_array(collect_list(${item})), x -> x.s)`;
  const fixed = [...FIXED_COLUMN_NAMES].map(sqlString).join(', ');
  const viewValues = `array_join(concat(array(${latestStateColumns([])
    .map((c) => sqlString(latestStateValues(c)))
    .join(', ')}), ${ordered(
    `CASE WHEN column_name NOT IN (${fixed}) THEN named_struct('pos', ordinal_position, 's', ${textSql(latestStateValues(hole(0)), ['column_name'])}) END`,
  )}), ${sqlString(COLUMN_SEPARATOR)})`;
  const tag = textSql(piiTag(target, hole(0)), ['name']);
  const clause = textSql(commentClause(hole(0), hole(1)), ['name', 'text']);
  const program = `SET VAR ${DOCS_VAR} = (
WITH d AS (SELECT e.name, max(e.comment) AS comment, bool_or(e.pii) AS pii
           FROM (SELECT explode(m.docs) AS e FROM ${manifest(MANIFEST_DOCS_SCHEMA)} AS m)
           WHERE e.name IS NOT NULL AND e.comment IS NOT NULL GROUP BY e.name),
c AS (SELECT column_name, ordinal_position, comment FROM system.information_schema.columns WHERE ${filter('table_catalog', 'table_schema')}),
g AS (SELECT DISTINCT column_name FROM system.information_schema.column_tags
      WHERE ${filter('catalog_name', 'schema_name')} AND tag_name = ${sqlString(CLASSIFICATION_TAG)}),
todo AS (SELECT c.ordinal_position AS pos, c.column_name AS name, d.comment AS text, d.pii AND g.column_name IS NULL AS tag
         FROM c JOIN d ON d.name = c.column_name LEFT JOIN g ON g.column_name = c.column_name WHERE c.comment IS NULL)
SELECT CASE WHEN count(*) = 0 THEN CAST(array() AS ARRAY<STRING>) ELSE concat(
  ${ordered(`CASE WHEN tag THEN named_struct('pos', pos, 's', ${tag}) END`)},
  array(${sqlString(tableCommentSql(target).sql)},
        (SELECT ${textSql(latestStateView(target, hole(0)), [viewValues])} FROM c),
        concat(${sqlString(alterColumns(target))}, array_join(${ordered(`named_struct('pos', pos, 's', ${clause})`)}, ${sqlString(COLUMN_SEPARATOR)})))) END
FROM todo)`;
  const slots = Array.from({ length: JOB_DOC_SLOTS }, (_, i) => [
    stmt(`SET VAR ${DOC_VAR} = coalesce(try_element_at(${DOCS_VAR}, ${i + 1}), ${sqlString(NOTHING)})`),
    stmt(`EXECUTE IMMEDIATE ${DOC_VAR}`),
  ]).flat();
  return [
    stmt(`DECLARE OR REPLACE VARIABLE ${DOCS_VAR} ARRAY<STRING> DEFAULT CAST(array() AS ARRAY<STRING>)`),
    stmt(`DECLARE OR REPLACE VARIABLE ${DOC_VAR} STRING DEFAULT ${sqlString(NOTHING)}`),
    stmt(program),
    ...slots,
  ];
}
