import { withHash } from '../flatten/columnName.js';
import type { ColumnType } from './ColumnType.js';
import { type ColumnDef, FIXED_COLUMNS } from './fixedColumns.js';

/**
 * The table's columns as flattening sees them: existing ones (read from the sink) plus the ones this batch adds.
 * Column names are compared case-insensitively, as SQL engines do; when a new path's name differs only in case
 * from an existing column, the newcomer gets a stable hash suffix (first come keeps the plain name).
 *
 * @example
 * const columns = new ColumnRegistry(await sink.readColumns());
 * const col = columns.resolve(['Charge', 'IsCharging'], 'Charge_IsCharging', 'BOOLEAN');
 */
export class ColumnRegistry {
  readonly #byLower = new Map<string, ColumnDef>();
  /** Exact column name -> position in {@link all} (the index space of compact rows). */
  readonly #index = new Map<string, number>();
  readonly #added: ColumnDef[] = [];
  #generation = 0;
  /** Cache: requested name -> resolved column (hot path: the same names recur on every event). */
  readonly #resolved = new Map<string, ColumnDef>();

  constructor(existing: readonly ColumnDef[] = []) {
    for (const c of FIXED_COLUMNS) this.#byLower.set(c.name.toLowerCase(), c);
    for (const c of existing) {
      if (!this.#byLower.has(c.name.toLowerCase())) this.#byLower.set(c.name.toLowerCase(), c);
    }
    for (const c of this.#byLower.values()) this.#index.set(c.name, this.#index.size);
  }

  /** Number of columns: positions 0 .. size-1 of {@link all}. */
  get size(): number {
    return this.#index.size;
  }

  /** Changes only when {@link rollback} forgets columns: positions below {@link size} are stable until then. */
  get generation(): number {
    return this.#generation;
  }

  /** Position of the column named exactly `name` in {@link all}, or undefined. */
  indexOf(name: string): number | undefined {
    return this.#index.get(name);
  }

  /** Returns the column for `name` (derived from `segments`), creating it with `type` when new. */
  resolve(segments: readonly string[], name: string, type: ColumnType): ColumnDef {
    const cached = this.#resolved.get(name);
    if (cached) return cached;
    let candidate = name;
    for (let attempt = 0; ; attempt++) {
      const existing = this.#byLower.get(candidate.toLowerCase());
      if (!existing) {
        const created: ColumnDef = { name: candidate, type };
        this.#byLower.set(candidate.toLowerCase(), created);
        this.#index.set(candidate, this.#index.size);
        this.#added.push(created);
        this.#resolved.set(name, created);
        return created;
      }
      if (existing.name === candidate) {
        this.#resolved.set(name, existing);
        return existing;
      }
      candidate = withHash(name, segments, attempt === 0 ? '' : String(attempt));
    }
  }

  get(name: string): ColumnDef | undefined {
    return this.#byLower.get(name.toLowerCase());
  }

  /** Columns created since construction (or the last {@link takeAdded}), in order of first appearance. */
  added(): readonly ColumnDef[] {
    return this.#added;
  }

  takeAdded(): ColumnDef[] {
    return this.#added.splice(0);
  }

  /** A mark for {@link rollback}: the number of columns added so far (not yet taken). */
  mark(): number {
    return this.#added.length;
  }

  /** Forgets the columns added since `mark` (their rows were undone), as if they had never been seen. */
  rollback(mark: number): void {
    const removed = new Set(this.#added.splice(mark));
    if (removed.size === 0) return;
    for (const c of removed) {
      this.#byLower.delete(c.name.toLowerCase());
      this.#index.delete(c.name);
    }
    for (const [name, c] of this.#resolved) if (removed.has(c)) this.#resolved.delete(name);
    this.#generation += 1;
  }

  all(): ColumnDef[] {
    return [...this.#byLower.values()];
  }
}
