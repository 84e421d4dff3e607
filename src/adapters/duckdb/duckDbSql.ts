import type { ColumnType } from '../../core/schema/ColumnType.js';
import type { SqlDialect } from '../sql/SqlDialect.js';

/** DuckDB identifiers: double quotes, embedded quotes doubled. Every identifier from data goes through here. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB string literal: single quotes, embedded quotes doubled (for statements that take no parameters). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Logical type -> DuckDB type. TIMESTAMP holds UTC instants (no zone, by convention, as in Delta's display). */
/** The load ledger beside the table: one row per loaded raw object (file, batch_id, loaded_at). */
export const LEDGER_TABLE = '_loaded_files';

export const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = {
  BOOLEAN: 'BOOLEAN',
  DOUBLE: 'DOUBLE',
  BIGINT: 'BIGINT',
  VARCHAR: 'VARCHAR',
  TIMESTAMP: 'TIMESTAMP',
};

/** DuckDB's information_schema type names -> logical type (undefined for types we never create). */
export function logicalType(duckDbType: string): ColumnType | undefined {
  const t = duckDbType.toUpperCase();
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'DOUBLE';
  if (t === 'BIGINT' || t === 'INTEGER') return 'BIGINT';
  if (t === 'VARCHAR') return 'VARCHAR';
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  return undefined;
}

/** The DuckDB dialect of the load rule (src/adapters/sql/loadRule.ts): deletes are DELETE, all inside the load's
 * transaction; the sink adds new columns first and appends the new rows itself. */
export const DUCKDB_DIALECT: SqlDialect = {
  quote: quoteIdent,
  types: DUCKDB_TYPES,
  param: (name) => `$${name}`,
  now: 'now()::TIMESTAMP',
  deleteByKey: (table, keys) => `DELETE FROM ${table} WHERE "event_id" IN (${keys})`,
};
