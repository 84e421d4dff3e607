import { ConfigError } from '../../core/errors.js';
import type { ColumnType } from '../../core/schema/ColumnType.js';
import type { SqlDialect, SqlParameter } from '../sql/SqlDialect.js';

/**
 * Databricks SQL identifiers: backticks, embedded backticks doubled. Every identifier from data goes through here;
 * with `delta.columnMapping.mode = 'name'` any such name is a legal column name.
 */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** A Unity Catalog three-level name (`catalog.schema.table`). */
export interface TableName {
  readonly catalog: string;
  readonly schema: string;
  readonly table: string;
}

/**
 * Parses `catalog.schema.table` (parts are plain names: letters, digits, `_`, `-`); throws ConfigError otherwise.
 * Unity Catalog stores names in lower case (information_schema holds them so), hence lower-cased here.
 */
export function parseTableName(text: string): TableName {
  const parts = text.toLowerCase().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw new ConfigError(`table name must be catalog.schema.table (letters, digits, _ or -), got '${text}'`);
  }
  const [catalog, schema, table] = parts as [string, string, string];
  return { catalog, schema, table };
}

/** An information_schema filter on one table, with {@link tableParameters} (Unity Catalog keeps the names in lower case). */
export const TABLE_FILTER = 'table_catalog = :catalog AND table_schema = :schema AND table_name = :table';

export function tableParameters(name: TableName): SqlParameter[] {
  return [
    { name: 'catalog', value: name.catalog.toLowerCase() },
    { name: 'schema', value: name.schema.toLowerCase() },
    { name: 'table', value: name.table.toLowerCase() },
  ];
}

export function qualifiedTable(name: TableName, table = name.table): string {
  return `${quoteIdent(name.catalog)}.${quoteIdent(name.schema)}.${quoteIdent(table)}`;
}

export function qualifiedSchema(name: TableName): string {
  return `${quoteIdent(name.catalog)}.${quoteIdent(name.schema)}`;
}

/** Logical type -> Databricks SQL type. TIMESTAMP is an instant (Spark TIMESTAMP is UTC-based, shown in session zone). */
export const DATABRICKS_TYPES: Readonly<Record<ColumnType, string>> = {
  BOOLEAN: 'BOOLEAN',
  DOUBLE: 'DOUBLE',
  BIGINT: 'BIGINT',
  VARCHAR: 'STRING',
  TIMESTAMP: 'TIMESTAMP',
};

/** The Databricks SQL dialect of the load rule (src/adapters/sql/loadRule.ts). */
export const DATABRICKS_DIALECT: SqlDialect = {
  quote: quoteIdent,
  types: DATABRICKS_TYPES,
  param: (name) => `:${name}`,
  now: 'now()',
  deleteByKey: (table, keys) =>
    `MERGE INTO ${table} AS x\nUSING (${keys}) AS k\nON x.\`event_id\` = k.\`event_id\`\nWHEN MATCHED THEN DELETE`,
  // `WITH SCHEMA EVOLUTION` adds the batch's new columns; `INSERT *` leaves the table's other columns NULL:
  // https://docs.databricks.com/aws/en/delta/update-schema#merge-schema-evolution
  insertByName: (table, source) =>
    `MERGE WITH SCHEMA EVOLUTION INTO ${table} AS t\nUSING ${source} AS s\nON t.\`event_id\` = s.\`event_id\`\nWHEN NOT MATCHED THEN INSERT *`,
};

/** A SQL string literal (for values that must be constants, e.g. a `read_files` schema; never for row data). */
export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * The escaping of {@link quoteIdent} and {@link sqlString} in SQL, over a STRING expression (the text between the
 * backticks or quotes): for statements built inside the warehouse from data, e.g. the load job's documentation.
 */
export function escapeIdentSql(expr: string): string {
  return `replace(${expr}, '\`', '\`\`')`;
}

export function escapeStringSql(expr: string): string {
  return `replace(replace(${expr}, ${sqlString('\\')}, ${sqlString('\\\\')}), ${sqlString("'")}, ${sqlString("\\'")})`;
}

/** information_schema.columns `data_type` words -> logical type (the types we create, and their aliases). */
const TYPE_WORDS: Readonly<Record<string, ColumnType>> = {
  BOOLEAN: 'BOOLEAN',
  DOUBLE: 'DOUBLE',
  FLOAT: 'DOUBLE',
  BIGINT: 'BIGINT',
  LONG: 'BIGINT',
  INT: 'BIGINT',
  INTEGER: 'BIGINT',
  STRING: 'VARCHAR',
  VARCHAR: 'VARCHAR',
  TIMESTAMP: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMP',
};

/** information_schema.columns `data_type` / `full_data_type` -> logical type (undefined for types we never create). */
export function logicalType(databricksType: string): ColumnType | undefined {
  return TYPE_WORDS[databricksType.trim().toUpperCase()];
}

/** The same mapping as {@link logicalType}, in SQL over a `data_type` expression (other words pass through). */
export function logicalTypeSql(expr: string): string {
  const cases = Object.entries(TYPE_WORDS).map(([word, type]) => `WHEN '${word}' THEN '${type}'`);
  return `CASE upper(${expr}) ${cases.join(' ')} ELSE upper(${expr}) END`;
}
