import { SignalCatalog } from '../core/catalog/SignalCatalog.js';
import { ColumnRegistry } from '../core/schema/ColumnRegistry.js';
import { ObjectNotFoundError, type ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { BatchBuilder } from './BatchBuilder.js';
import { FlattenPool } from './FlattenPool.js';
import { ParallelObjectReader } from './ParallelObjectReader.js';
import { emptyProcessSummary, type ProcessSummary } from './ProcessSummary.js';
import { type QuarantineLine, writeQuarantineEntry } from './quarantineEntry.js';
import { quarantineObject, readObjectInto } from './readObjectInto.js';
import { relocate } from './relocate.js';

export interface ProcessDeps {
  readonly store: ObjectStore;
  readonly sink: TableSink;
  readonly catalog?: SignalCatalog;
  readonly now?: () => number;
}

/** Named points between the steps of a batch; the CLI wires them to fault injection for crash tests. */
export type Checkpoint =
  | 'after-read'
  | 'after-quarantine'
  | 'after-load'
  | 'after-archive-copy'
  | 'after-archive';

export interface ProcessOptions {
  readonly rawPrefix: string;
  readonly archivePrefix: string;
  readonly quarantinePrefix: string;
  /** A batch closes once it holds this many distinct events (bounds memory). */
  readonly maxEventsPerBatch?: number;
  /** Checked before each new object: the Lambda stops taking work near its deadline; the next run continues. */
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (summary: Readonly<ProcessSummary>) => void;
  /**
   * Worker threads that flatten objects ahead of the merge (0 or absent: everything on this thread). Only with the
   * default signal catalog. The rows, columns and counts are the same either way.
   */
  readonly workers?: number;
  readonly checkpoint?: (step: Checkpoint) => void | Promise<void>;
  /**
   * Objects written while this runs (a capture alongside: see ObjectFeed): read after the listed ones, in the order
   * announced, into the same batches a listing of them all would make; the run ends when the feed does.
   */
  readonly incoming?: AsyncIterable<readonly string[]>;
}

function bump(counts: Record<string, number>, reason: string, by = 1): void {
  counts[reason] = (counts[reason] ?? 0) + by;
}

/**
 * Stage 2 + 3: takes every pending raw object, flattens its records, quarantines what cannot become a row,
 * loads batches into the sink (exactly once per object, via the sink's ledger) and archives the objects only
 * after their batch committed. A crash anywhere leaves a state that the next run finishes correctly.
 *
 * @example
 * const summary = await processPending({ store, sink }, {
 *   rawPrefix: 'raw/telemetry/', archivePrefix: 'archive/telemetry/', quarantinePrefix: 'quarantine/telemetry/',
 * });
 */
export async function processPending(deps: ProcessDeps, options: ProcessOptions): Promise<ProcessSummary> {
  const { store, sink } = deps;
  const catalog = deps.catalog ?? SignalCatalog.default();
  const now = deps.now ?? Date.now;
  const maxEvents = options.maxEventsPerBatch ?? 20_000;
  const checkpoint = options.checkpoint ?? (() => undefined);
  const summary = emptyProcessSummary();
  const pending: string[] = [];
  for await (const o of store.list(options.rawPrefix)) pending.push(o.key);
  pending.sort();
  const incoming = options.incoming?.[Symbol.asyncIterator]();
  const first = pending.length > 0 ? pending : ((await incoming?.next())?.value ?? []);
  // List first: with nothing pending (or announced) the sink is not asked anything (a warehouse can stay stopped).
  if (first.length === 0) return summary;
  const columns = new ColumnRegistry(await sink.readColumns());

  const archive = async (keys: readonly string[]): Promise<void> => {
    for (const key of keys) {
      const target = relocate(key, options.rawPrefix, options.archivePrefix);
      try {
        await store.copy(key, target);
      } catch (error) {
        // A concurrent run (single-writer setting violated) archived it first: nothing left to do.
        if (error instanceof ObjectNotFoundError && (await store.head(target))) continue;
        throw error;
      }
      await checkpoint('after-archive-copy');
      await store.delete(key);
    }
    await checkpoint('after-archive');
  };

  /** The keys not seen before that still need reading: those the sink's ledger has are archived, not loaded again. */
  const seen = new Set<string>();
  const unread = async (keys: readonly string[]): Promise<string[]> => {
    const fresh = keys.filter((key) => !seen.has(key));
    for (const key of fresh) seen.add(key);
    if (fresh.length === 0) return fresh;
    const alreadyLoaded = await sink.loadedFiles(fresh);
    if (alreadyLoaded.size > 0) {
      await archive([...alreadyLoaded].sort());
      summary.objectsRecovered += alreadyLoaded.size;
    }
    return fresh.filter((key) => !alreadyLoaded.has(key));
  };

  const toRead = await unread(first);
  const workers = deps.catalog === undefined ? (options.workers ?? 0) : 0;
  // One object cannot be split between threads: workers pay off from two objects on.
  const expected = incoming ? workers : toRead.length;
  const pool = workers > 0 && expected > 1 ? new FlattenPool(Math.min(workers, expected)) : undefined;
  try {
    const reader = pool
      ? new ParallelObjectReader(store, pool, toRead, columns, options.quarantinePrefix)
      : undefined;
    await processObjects(keysToRead(reader), reader);
  } finally {
    await pool?.close();
  }
  return summary;

  /** The listed keys, then each group announced (the reader learns a group before its first key is read). */
  async function* keysToRead(reader: ParallelObjectReader | undefined): AsyncGenerator<string> {
    yield* toRead;
    if (!incoming) return;
    for (let next = await incoming.next(); !next.done; next = await incoming.next()) {
      const keys = await unread(next.value);
      reader?.append(keys);
      yield* keys;
    }
  }

  async function processObjects(
    keys: AsyncIterable<string>,
    reader: ParallelObjectReader | undefined,
  ): Promise<void> {
    let batch = new BatchBuilder({ catalog, columns }, now());
    let quarantine = new Map<string, QuarantineLine>();

    /** The previous batch's load and archive, still running while the next batch is read (see {@link flush}). */
    let loading: Promise<void> | undefined;
    const settle = async (): Promise<void> => {
      const pendingLoad = loading;
      loading = undefined;
      await pendingLoad;
    };

    /**
     * Closes the batch: quarantine entries, then the load and the archive, which run on while the loop reads the
     * next batch (the sink's work is mostly the engine's, off this thread). One load at a time: the next flush
     * waits for this one first, and an error surfaces there.
     */
    const flush = async (): Promise<void> => {
      await settle();
      if (batch.files.length === 0) return;
      await checkpoint('after-read');
      for (const [key, entry] of quarantine) await writeQuarantineEntry(store, key, entry);
      await checkpoint('after-quarantine');
      const newColumns = columns.takeAdded();
      const closed = batch;
      const load = sink.load(closed.build(newColumns));
      batch = new BatchBuilder({ catalog, columns }, now());
      quarantine = new Map();
      loading = (async () => {
        const result = await load;
        summary.columnsAdded.push(...newColumns);
        await checkpoint('after-load');
        summary.inserted += result.inserted;
        summary.updated += result.updated;
        summary.unchanged += result.unchanged;
        summary.deleted += result.deleted;
        summary.staged += result.staged ?? 0;
        for (const [reason, n] of Object.entries(result.skippedByReason ?? {})) {
          summary.skipped += n;
          bump(summary.skippedByReason, reason, n);
        }
        for (const [reason, n] of closed.skipped) {
          summary.skipped += n;
          bump(summary.skippedByReason, reason, n);
        }
        summary.batches += 1;
        await archive(closed.files);
        options.onProgress?.(summary);
      })();
      loading.catch(() => undefined); // surfaced by the next settle, never as an unhandled rejection
    };

    // An object is one ledger unit, so a batch holds whole objects. Close the batch BEFORE an object that could
    // take it past maxEvents (its size guessed from the largest object so far), so a batch stays near maxEvents.
    let largestObject = 0;
    try {
      await readAll();
    } catch (error) {
      await settle().catch(() => undefined); // the sink is closed next: never with a load still running
      throw error;
    }
    await flush();
    await settle();

    async function readAll(): Promise<void> {
      for await (const key of keys) {
        if (options.shouldStop?.()) {
          summary.stoppedEarly = true;
          break;
        }
        if (batch.files.length > 0 && batch.size + largestObject > maxEvents) await flush();
        const read = reader
          ? await reader.readInto(key, batch)
          : await readObjectInto(store, key, batch, columns, options.quarantinePrefix);
        // Gone since the listing: a concurrent run took it.
        if (read.kind === 'gone') continue;
        if (read.kind === 'unreadable') {
          await quarantineObject(store, key, options, read.error);
          summary.objectsQuarantined += 1;
          continue;
        }
        const { lines: lineNo, skipped, quarantine: lines } = read;
        summary.records += lineNo;
        largestObject = Math.max(largestObject, lineNo);
        for (const [reason, n] of skipped) {
          summary.skipped += n;
          bump(summary.skippedByReason, reason, n);
        }
        for (const [entryKey, entry] of lines) {
          summary.quarantined += 1;
          bump(summary.quarantinedByReason, entry.reason);
          quarantine.set(entryKey, entry);
        }
        summary.objects += 1;
        batch.files.push(key);
        if (batch.size >= maxEvents) await flush();
      }
    }
  }
}
