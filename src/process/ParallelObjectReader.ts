import type { ColumnRegistry } from '../core/schema/ColumnRegistry.js';
import { ObjectNotFoundError, type ObjectStore } from '../ports/ObjectStore.js';
import type { BatchBuilder } from './BatchBuilder.js';
import { type CellValue, cellValue } from './CellColumns.js';
import { type FlattenPool, type SerializedFlattening, WorkerLostError } from './FlattenPool.js';
import type { FlattenedObject } from './flattenObject.js';
import { quarantineEntryKey } from './quarantineEntry.js';
import { damageEntry, type ObjectRead, readObjectInto } from './readObjectInto.js';
import { DamagedObjectError } from './readRawLines.js';

/** A worker resolved a column differently from what the main thread now resolves (the seed was behind). */
class ColumnConflict extends Error {}

type Fetched =
  | { readonly kind: 'gone' }
  | { readonly kind: 'worker-lost' }
  | { readonly kind: 'flattened'; readonly result: SerializedFlattening; readonly generation: number };

/**
 * {@link readObjectInto} with the flattening done ahead, in worker threads: objects are fetched and flattened
 * `window` at a time, and merged into the batch in key order, so the batch, its skips and its columns come out
 * exactly as reading them one by one would make them. A worker that resolved a column the main thread resolves
 * differently (a column another object created meanwhile with another type or case) is not merged: that object
 * is read again on the main thread.
 *
 * @example
 * const reader = new ParallelObjectReader(store, pool, keys, columns, 'quarantine/telemetry/');
 * for (const key of keys) await reader.readInto(key, batch);
 */
export class ParallelObjectReader {
  readonly #inflight = new Map<string, Promise<Fetched>>();
  readonly #position = new Map<string, number>();
  readonly #keys: string[] = [];
  #dispatched = 0;
  /** Objects read again on the main thread because a worker's columns did not match (see class comment). */
  rereads = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly pool: FlattenPool,
    keys: readonly string[],
    private readonly columns: ColumnRegistry,
    private readonly quarantinePrefix: string,
    private readonly window = pool.size + 1,
  ) {
    this.append(keys);
  }

  /** Objects to read after those given so far (announced while reading: see ObjectFeed), in their order. */
  append(keys: readonly string[]): void {
    for (const key of keys) {
      this.#position.set(key, this.#keys.length);
      this.#keys.push(key);
    }
  }

  #dispatch(key: string): void {
    const generation = this.columns.generation;
    const seed = this.columns.all();
    const fetched = this.store.get(key).then(
      (body): Promise<Fetched> =>
        this.pool.flatten({ key, body, seed, quarantinePrefix: this.quarantinePrefix }).then(
          (result) => ({ kind: 'flattened', result, generation }),
          (error: unknown): Fetched => {
            // A worker that died (e.g. out of memory on a huge object) costs speed, never the run: read it here.
            if (error instanceof WorkerLostError) return { kind: 'worker-lost' };
            throw error;
          },
        ),
      (error: unknown): Fetched => {
        if (error instanceof ObjectNotFoundError) return { kind: 'gone' }; // a concurrent run took it
        throw error;
      },
    );
    fetched.catch(() => undefined); // surfaced when the key is read; never an unhandled rejection before
    this.#inflight.set(key, fetched);
  }

  /** Reads `key` into the batch as one unit; the same outcomes as {@link readObjectInto}. */
  async readInto(key: string, batch: BatchBuilder): Promise<ObjectRead> {
    const at = this.#position.get(key);
    if (at === undefined) return readObjectInto(this.store, key, batch, this.columns, this.quarantinePrefix);
    // Dispatch before merging: no seed ever holds a column that this object's merge may still roll back.
    this.#dispatched = Math.max(this.#dispatched, at);
    while (this.#dispatched < Math.min(this.#keys.length, at + 1 + this.window)) {
      this.#dispatch(this.#keys[this.#dispatched] as string);
      this.#dispatched += 1;
    }
    const fetched = this.#inflight.get(key);
    this.#inflight.delete(key);
    if (fetched === undefined)
      return readObjectInto(this.store, key, batch, this.columns, this.quarantinePrefix);
    const got = await fetched;
    if (got.kind === 'gone') return { kind: 'gone' };
    if (got.kind === 'worker-lost') return this.#reread(key, batch);
    if (got.generation !== this.columns.generation) return this.#reread(key, batch);
    return this.#merge(got.result.read(), batch);
  }

  #reread(key: string, batch: BatchBuilder): Promise<ObjectRead> {
    this.rereads += 1;
    return readObjectInto(this.store, key, batch, this.columns, this.quarantinePrefix);
  }

  async #merge(r: FlattenedObject, batch: BatchBuilder): Promise<ObjectRead> {
    const { key, end } = r;
    if (end.kind === 'failed') {
      const error = new Error(`flattening ${key} failed: ${end.message}`);
      if (end.stack) error.stack = end.stack;
      throw error; // a bug, not bad input: fail the run, never quarantine the object
    }
    const damage =
      end.kind === 'damaged' ? new DamagedObjectError(key, end.byteOffset, new Error(end.cause)) : undefined;
    if (damage && r.lines === 0) return { kind: 'unreadable', error: damage };
    batch.begin();
    const mark = this.columns.mark();
    try {
      this.#mergeChanges(r, batch);
    } catch (error) {
      batch.rollback();
      this.columns.rollback(mark);
      if (error instanceof ColumnConflict) return this.#reread(key, batch);
      throw error;
    }
    const skipped = new Map(r.skipped);
    const quarantine = [...r.quarantine];
    if (!damage) return { kind: 'read', lines: r.lines, skipped, quarantine };
    // Damaged halfway: the lines before the damage stay in the batch; the rest is one quarantine entry.
    const entry = await damageEntry(this.store, key, r.lines + 1, damage).catch((e: unknown) => {
      batch.rollback();
      this.columns.rollback(mark);
      throw e;
    });
    quarantine.push([quarantineEntryKey(this.quarantinePrefix, undefined, entry), entry]);
    return { kind: 'read', lines: r.lines + 1, skipped, quarantine };
  }

  /** Replays the object's changes in line order; a winning upsert repeats its column resolutions first. */
  #mergeChanges(r: FlattenedObject, batch: BatchBuilder): void {
    const columns = this.columns;
    const mainIndex = new Map<number, number>(); // worker position past the seed -> main position
    const processedAt = columns.indexOf('pipeline_processed_at') as number;
    let cell = 0;
    for (let i = 0; i < r.kind.length; i++) {
      const start = cell;
      const count = r.cellCount[i] as number;
      cell += count;
      const change = {
        kind: r.kind[i] as 'upsert' | 'delete',
        eventId: r.eventId[i] as string,
        sequenceNumber: r.sequenceNumber[i] as string,
      };
      batch.accept(change, () => {
        for (let t = r.touchStart[i] as number; t < (r.touchStart[i + 1] as number); t++) {
          const c = r.resolved[r.touched[t] as number];
          if (c === undefined) throw new Error(`${r.key}: resolution ${r.touched[t]} missing`);
          const column = columns.resolve(c.segments, c.name, c.type);
          if (column.name !== c.column.name || column.type !== c.column.type) {
            throw new ColumnConflict(
              `${c.column.name} ${c.column.type} became ${column.name} ${column.type}`,
            );
          }
          mainIndex.set(c.index, columns.indexOf(column.name) as number);
        }
        // Sized once: cells come in flattening order, not column order, and growing by each jump cost copies.
        const values = new Array<CellValue | undefined>(columns.size);
        const { cells } = r;
        for (let k = start; k < start + count; k++) {
          const w = cells.index[k] as number;
          values[w < r.seedSize ? w : (mainIndex.get(w) as number)] = cellValue(cells, k);
        }
        values[processedAt] = batch.processedAt;
        return values;
      });
    }
  }
}
