import { ConfigError } from '../../core/errors.js';
import type { ColumnType } from '../../core/schema/ColumnType.js';
import type { SqlDialect } from '../sql/SqlDialect.js';

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
  replace: 'merge',
};

/** A SQL string literal (for values that must be constants, e.g. a `read_files` schema; never for row data). */
export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** information_schema.columns `data_type` / `full_data_type` -> logical type (undefined for types we never create). */
export function logicalType(databricksType: string): ColumnType | undefined {
  const t = databricksType.trim().toUpperCase();
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'DOUBLE';
  if (t === 'BIGINT' || t === 'LONG' || t === 'INT' || t === 'INTEGER') return 'BIGINT';
  if (t === 'STRING' || t === 'VARCHAR') return 'VARCHAR';
  if (t === 'TIMESTAMP' || t === 'TIMESTAMP_LTZ') return 'TIMESTAMP';
  return undefined;
}
