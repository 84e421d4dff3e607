import type { ColumnType } from '../../core/schema/ColumnType.js';

/** A named statement parameter (values travel as strings, typed by `type`, as in the Statement Execution API). */
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

/**
 * What differs between the engines the load rule runs on; everything else in src/adapters/sql/loadRule.ts is
 * written once. Backend differences are data here, not `if (databricks)` branches.
 */
export interface SqlDialect {
  /** Quotes an identifier (every identifier from data goes through here). */
  readonly quote: (name: string) => string;
  /** Logical type -> the engine's type name. */
  readonly types: Readonly<Record<ColumnType, string>>;
  /** A named parameter marker (`:name` on Databricks, `$name` in DuckDB). */
  readonly param: (name: string) => string;
  /** The current instant as a TIMESTAMP value. */
  readonly now: string;
  /** A statement deleting the rows of `table` whose `event_id` the query `keys` returns. */
  readonly deleteByKey: (table: string, keys: string) => string;
  /**
   * Inserts every column of the rows of `source` (alias `s`) whose `event_id` the table lacks, by name, adding the
   * columns the table does not have yet (schema evolution), so the statement does not depend on the batch's columns.
   * Absent: the rule lists the batch's columns (the sink added new ones before).
   */
  readonly insertByName?: (table: string, source: string) => string;
}
