import type { FlatRow } from '../../src/core/flatten/flattenEvent.js';
import type { ColumnDef } from '../../src/core/schema/fixedColumns.js';
import type { RowValues } from '../../src/ports/TableSink.js';

/** Rows written as dictionaries (readable in specs) as the compact values a LoadBatch carries. */
export function rowValues(rows: readonly FlatRow[], columns: readonly ColumnDef[]): RowValues[] {
  return rows.map((row) => columns.map((c) => row[c.name]));
}
