import { createHash } from 'node:crypto';
import { type FlatCells, type FlattenContext, flattenEventCells } from '../core/flatten/flattenEvent.js';
import type { Change } from '../core/model/Change.js';
import type { ColumnRegistry } from '../core/schema/ColumnRegistry.js';
import { type ColumnDef, FIXED_COLUMNS } from '../core/schema/fixedColumns.js';
import type { LoadBatch, RowValues } from '../ports/TableSink.js';

export const SKIP_SUPERSEDED = 'superseded by a newer version of the event in the same batch';
export const SKIP_DUPLICATE = 'duplicate delivery (same sequence number)';

/** A change's key fields: what decides whether it wins, before any flattening. */
export type ChangeKey = Pick<
  Extract<Change, { kind: 'upsert' | 'delete' }>,
  'kind' | 'eventId' | 'sequenceNumber'
>;

/** Values by registry position (`ColumnRegistry.indexOf`), the batch's compact row until {@link BatchBuilder.build}. */
type RegistryRow = (string | number | boolean | null | undefined)[];

/** A flattened row as values by registry position (every column of a flattened row is a registry column). */
export function registryRow(cells: FlatCells, columns: ColumnRegistry): RegistryRow {
  const values: RegistryRow = [];
  const { names } = cells;
  for (let k = 0; k < names.length; k++) {
    const name = names[k] as string;
    const i = columns.indexOf(name);
    if (i === undefined) throw new Error(`flattened column ${name} is not in the column registry`);
    values[i] = cells.values[k];
  }
  return values;
}

type Winner =
  | { readonly kind: 'upsert'; readonly sequenceNumber: string; readonly row: RegistryRow }
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
    /** The batch's `pipeline_processed_at` (epoch ms). */
    readonly processedAt: number,
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
    return this.accept(change, () => {
      if (change.kind !== 'upsert') throw new Error('a delete has no row');
      const row = flattenEventCells(change.item, this.ctx, {
        processedAt: this.processedAt,
        sourceFile,
        sequenceNumber: change.sequenceNumber,
      });
      return registryRow(row, this.ctx.columns);
    });
  }

  /**
   * Adds a change whose row is made only if it wins (`row` is called at most once, for an upsert that is newer
   * than the batch's current version of the event): the same decision, in the same order, as {@link add}.
   */
  accept(change: ChangeKey, row: () => RegistryRow): boolean {
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
      const values = row();
      this.#set(
        change.eventId,
        { kind: 'upsert', sequenceNumber: change.sequenceNumber, row: values },
        current,
      );
    }
    return true;
  }

  /** The load batch; `newColumns` are the columns the registry created while these rows were flattened. */
  build(newColumns: readonly ColumnDef[]): LoadBatch {
    this.#journal = undefined;
    const registry = this.ctx.columns.all();
    const used = new Uint8Array(registry.length);
    const rows: RegistryRow[] = [];
    const deletes: { eventId: string; sequenceNumber: string }[] = [];
    for (const [eventId, w] of this.#winners) {
      if (w.kind === 'delete') {
        deletes.push({ eventId, sequenceNumber: w.sequenceNumber });
        continue;
      }
      rows.push(w.row);
      const row = w.row;
      for (let i = 0; i < row.length; i++) if (row[i] !== undefined && row[i] !== null) used[i] = 1;
    }
    // Every fixed column (registry positions 0..n-1), then the columns a row has a value in, in registry order.
    const positions: number[] = FIXED_COLUMNS.map((_, i) => i);
    for (let i = FIXED_COLUMNS.length; i < registry.length; i++) if (used[i] === 1) positions.push(i);
    const columns = positions.map((i) => registry[i] as ColumnDef);
    // When the batch uses every registry column (usual once a table has its columns), positions are the registry's
    // own and the rows are already compact: no second array of ~300 values per row.
    const compact: RowValues[] =
      positions.length === registry.length ? rows : rows.map((row) => positions.map((i) => row[i]));
    // The registry-position rows are garbage from here: the batch is collectable while the sink loads it.
    this.#winners.clear();
    const files = [...this.files].sort();
    const batchId = createHash('sha1').update(files.join('\n')).digest('hex').slice(0, 16);
    return { batchId, files, columns, newColumns, rows: compact, deletes };
  }
}
