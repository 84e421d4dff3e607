import type { ColumnDef } from '../core/schema/fixedColumns.js';

/**
 * One row as values against the batch's column list: `values[i]` is the value of `columns[i]`; null, undefined or
 * past the end means no value. TIMESTAMP values are epoch milliseconds. Compact: one small array per row instead of
 * a dictionary of ~80 of ~300 names (memory, and no name lookups in the sinks).
 */
export type RowValues = readonly (string | number | boolean | null | undefined)[];

/** Position of a column in a batch's column list (case-sensitive), or undefined. */
export function columnIndex(batch: Pick<LoadBatch, 'columns'>, name: string): number | undefined {
  const i = batch.columns.findIndex((c) => c.name === name);
  return i < 0 ? undefined : i;
}

/** One unit of loading: the rows flattened from a set of raw objects, committed all or nothing. */
export interface LoadBatch {
  /** Stable id derived from the raw object keys, recorded in the sink's ledger. */
  readonly batchId: string;
  /** The raw object keys the rows came from; each is loaded exactly once (ledger). */
  readonly files: readonly string[];
  /** Every column the batch's rows use (fixed columns first), with types. */
  readonly columns: readonly ColumnDef[];
  /** Columns the table does not have yet (schema evolution: added before the rows are merged). */
  readonly newColumns: readonly ColumnDef[];
  /** Upserts as values against `columns`, at most one per event_id (the highest sequence number of the batch). */
  readonly rows: readonly RowValues[];
  /** REMOVE records, at most one per event_id, not also present in `rows`. */
  readonly deletes: readonly { readonly eventId: string; readonly sequenceNumber: string }[];
}

export interface LoadResult {
  readonly inserted: number;
  readonly updated: number;
  /** Rows whose event_id already had this content, and deletes that found nothing older to delete. */
  readonly unchanged: number;
  /** Rows not loaded, by reason (e.g. older than the version in the table); see src/adapters/sql/loadRule.ts. */
  readonly skippedByReason?: Readonly<Record<string, number>>;
  readonly deleted: number;
  /** Records staged for a later load whose outcome is not known yet (Databricks `job` mode); 0 or absent otherwise. */
  readonly staged?: number;
}

/**
 * The analytics table: DuckDB locally, a Delta table in Databricks Unity Catalog in the cloud.
 * Loads are idempotent: a batch whose files are all in the ledger changes nothing; per event_id the row with the
 * highest sequence number wins; a REMOVE leaves a tombstone so an older replayed version cannot resurrect the row.
 *
 * @example
 * const sink = await DuckDbSink.open('./data/warehouse.duckdb');
 * const columns = await sink.readColumns();
 * const result = await sink.load(batch);
 */
export interface TableSink {
  /** Existing table columns (empty before the first load). */
  readColumns(): Promise<ColumnDef[]>;
  /** Which of these raw object keys were already loaded (the exactly-once ledger). */
  loadedFiles(keys: readonly string[]): Promise<Set<string>>;
  load(batch: LoadBatch): Promise<LoadResult>;
  close(): Promise<void>;
}
