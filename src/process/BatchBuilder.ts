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

/** One step of the undo journal: a skip counted, or a winner set (with what it replaced). */
type JournalEntry =
  | { readonly skip: string }
  | { readonly eventId: string; readonly previous: Winner | undefined };

/**
 * Collects the changes of several raw objects into one load batch, keeping per event_id only the change with the
 * highest sequence number (Delta MERGE, like any sane upsert, needs one source row per key).
 * Changes are flattened as they arrive (only rows are kept, never parsed items). An object is accepted as a unit:
 * {@link begin} opens a journal, {@link rollback} undoes every change since (an object that turned out unreadable
 * halfway), {@link begin} again or {@link build} forgets the journal.
 */
export class BatchBuilder {
  readonly #winners = new Map<string, Winner>();
  #journal: JournalEntry[] | undefined;
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
    this.#journal?.push({ skip: reason });
  }

  #set(eventId: string, winner: Winner, previous: Winner | undefined): void {
    this.#winners.set(eventId, winner);
    this.#journal?.push({ eventId, previous });
  }

  /** Starts an object: changes from here on can be undone with {@link rollback} (the last object's are kept). */
  begin(): void {
    this.#journal = [];
  }

  /** Undoes every change since {@link begin}: winners and skip counts are as if those changes never came. */
  rollback(): void {
    const journal = this.#journal ?? [];
    for (let i = journal.length - 1; i >= 0; i--) {
      const entry = journal[i] as JournalEntry;
      if ('skip' in entry) {
        const n = (this.skipped.get(entry.skip) ?? 0) - 1;
        if (n > 0) this.skipped.set(entry.skip, n);
        else this.skipped.delete(entry.skip);
      } else if (entry.previous === undefined) {
        this.#winners.delete(entry.eventId);
      } else {
        this.#winners.set(entry.eventId, entry.previous); // an existing key keeps its place in the map
      }
    }
    this.#journal = [];
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
      this.#set(change.eventId, { kind: 'delete', sequenceNumber: change.sequenceNumber }, current);
    } else {
      const row = flattenEvent(change.item, this.ctx, {
        processedAt: this.processedAt,
        sourceFile,
        sequenceNumber: change.sequenceNumber,
      });
      this.#set(change.eventId, { kind: 'upsert', sequenceNumber: change.sequenceNumber, row }, current);
    }
    return true;
  }

  /** The load batch; `newColumns` are the columns the registry created while these rows were flattened. */
  build(newColumns: readonly ColumnDef[]): LoadBatch {
    this.#journal = undefined;
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
