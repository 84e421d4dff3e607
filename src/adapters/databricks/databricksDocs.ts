import {
  columnComment,
  describeColumn,
  LATEST_STATE_VIEW,
  latestStateColumns,
  OBSERVED_AT_SUFFIX,
  TABLE_DESCRIPTION,
} from '../../core/catalog/columnDocs.js';
import { errorMessage } from '../../core/errors.js';
import type { SqlStatement } from '../sql/SqlDialect.js';
import {
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
  const each = columns.map(
    (name) => `${quoteIdent(name)} COMMENT ${sqlString(columnComment(describeColumn(name)))}`,
  );
  return stmt(`ALTER TABLE ${qualifiedTable(target)} ALTER COLUMN ${each.join(',\n  ')}`);
}

/** One column's comment: https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-comment (DBR 16.1+). */
export function columnCommentSql(target: TableName, name: string): SqlStatement {
  const text = columnComment(describeColumn(name));
  return stmt(`COMMENT ON COLUMN ${qualifiedTable(target)}.${quoteIdent(name)} IS ${sqlString(text)}`);
}

/**
 * The Unity Catalog tag `classification` = `pii` on each sensitive column among these, so that governance (tag
 * policies, column masks, searches by tag) finds them; one column per statement, as the syntax allows:
 * https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-set-tag
 */
export function piiTagsSql(target: TableName, columns: readonly string[]): SqlStatement[] {
  const tag = `(${sqlString(CLASSIFICATION_TAG)} = ${sqlString('pii')})`;
  return columns
    .filter((name) => describeColumn(name).classification === 'pii')
    .map((name) =>
      stmt(`ALTER TABLE ${qualifiedTable(target)} ALTER COLUMN ${quoteIdent(name)} SET TAGS ${tag}`),
    );
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
  const when = '`recorded_at`';
  const key = `named_struct('at', ${when}, 'seq', coalesce(\`pipeline_sequence_number\`, ''))`;
  const values = latestStateColumns(columns).flatMap((c) => {
    const q = quoteIdent(c);
    const known = `${q} IS NOT NULL AND ${when} IS NOT NULL`;
    return [
      `max_by(${q}, CASE WHEN ${known} THEN ${key} END) AS ${q}`,
      `max(CASE WHEN ${known} THEN ${when} END) AS ${quoteIdent(c + OBSERVED_AT_SUFFIX)}`,
    ];
  });
  const comment = `Each vehicle's latest non-null value of every signal column, with <column>${OBSERVED_AT_SUFFIX} (the recorded_at it came from); recreated when columns are added.`;
  return stmt(
    `CREATE OR REPLACE VIEW ${qualifiedTable(target, LATEST_STATE_VIEW)}\nCOMMENT ${sqlString(comment)}\nAS SELECT \`vehicle_id\`, ` +
      `count(*) AS \`events\`, max(${when}) AS \`last_recorded_at\`,\n  ${values.join(',\n  ')}\n` +
      `FROM ${qualifiedTable(target)}\nWHERE \`vehicle_id\` IS NOT NULL\nGROUP BY \`vehicle_id\``,
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
