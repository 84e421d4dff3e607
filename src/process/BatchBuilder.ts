import { createHash } from 'node:crypto';
import { type FlatRow, type FlattenContext, flattenEvent } from '../core/flatten/flattenEvent.js';
import type { Change } from '../core/model/Change.js';
import { type ColumnDef, FIXED_COLUMNS } from '../core/schema/fixedColumns.js';
import type { LoadBatch } from '../ports/TableSink.js';

export const SKIP_SUPERSEDED = 'superseded by a newer version of the event in the same batch';
export const SKIP_DUPLICATE = 'duplicate delivery (same sequence number)';

type Winner =
  | { readonly kind: 'upsert'; readonly sequenceNumber: string; readonly row: FlatRow }
  | { readonly kind: 'delete'; readonly sequenceNumber: string };

/**
 * Collects the changes of several raw objects into one load batch, keeping per event_id only the change with the
 * highest sequence number (Delta MERGE, like any sane upsert, needs one source row per key).
 */
export class BatchBuilder {
  readonly #winners = new Map<string, Winner>();
  readonly files: string[] = [];
  /** Changes that lost to a newer one; counted as skipped with a reason. */
  readonly skipped = new Map<string, number>();

  constructor(
    private readonly ctx: FlattenContext,
    private readonly processedAt: number,
  ) {}

  get size(): number {
    return this.#winners.size;
  }

  #skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  /** Adds a change; returns false when it was skipped as superseded or duplicate. */
  add(change: Extract<Change, { kind: 'upsert' | 'delete' }>, sourceFile: string): boolean {
    const current = this.#winners.get(change.eventId);
    if (current) {
      if (change.sequenceNumber === current.sequenceNumber) {
        this.#skip(SKIP_DUPLICATE);
        return false;
      }
      if (change.sequenceNumber < current.sequenceNumber) {
        this.#skip(SKIP_SUPERSEDED);
        return false;
      }
      this.#skip(SKIP_SUPERSEDED); // the previous winner loses
    }
    if (change.kind === 'delete') {
      this.#winners.set(change.eventId, { kind: 'delete', sequenceNumber: change.sequenceNumber });
    } else {
      const row = flattenEvent(change.item, this.ctx, {
        processedAt: this.processedAt,
        sourceFile,
        sequenceNumber: change.sequenceNumber,
      });
      this.#winners.set(change.eventId, { kind: 'upsert', sequenceNumber: change.sequenceNumber, row });
    }
    return true;
  }

  /** The load batch; `newColumns` are the columns the registry created while these rows were flattened. */
  build(newColumns: readonly ColumnDef[]): LoadBatch {
    const rows: FlatRow[] = [];
    const deletes: { eventId: string; sequenceNumber: string }[] = [];
    const used = new Set<string>();
    for (const [eventId, w] of this.#winners) {
      if (w.kind === 'delete') {
        deletes.push({ eventId, sequenceNumber: w.sequenceNumber });
      } else {
        rows.push(w.row);
        for (const k in w.row) used.add(k);
      }
    }
    const columns: ColumnDef[] = [...FIXED_COLUMNS];
    const fixed = new Set(FIXED_COLUMNS.map((c) => c.name));
    for (const name of used) {
      if (fixed.has(name)) continue;
      const def = this.ctx.columns.get(name);
      if (def) columns.push(def);
    }
    const files = [...this.files].sort();
    const batchId = createHash('sha1').update(files.join('\n')).digest('hex').slice(0, 16);
    return { batchId, files, columns, newColumns, rows, deletes };
  }
}
