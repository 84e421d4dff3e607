import { errorMessage, PipelineError } from '../core/errors.js';
import { asRawRecord, type Change, toChange } from '../core/model/Change.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { parseLine } from '../core/ndjson/ndjson.js';
import type { ColumnRegistry } from '../core/schema/ColumnRegistry.js';
import { ObjectNotFoundError, type ObjectStore } from '../ports/ObjectStore.js';
import type { BatchBuilder } from './BatchBuilder.js';
import { type QuarantineLine, quarantineEntryKey } from './quarantineEntry.js';
import { readRawLines } from './readRawLines.js';
import { relocate } from './relocate.js';

/** What reading one raw object gave: its lines in the batch, or nothing (gone, or unreadable as a whole). */
export type ObjectRead =
  | {
      readonly kind: 'read';
      readonly lines: number;
      readonly skipped: ReadonlyMap<string, number>;
      readonly quarantine: readonly (readonly [string, QuarantineLine])[];
    }
  | { readonly kind: 'gone' }
  | { readonly kind: 'unreadable'; readonly error: unknown };

/**
 * Reads one raw object into the batch as one unit. Rows go in line by line (only rows are kept, never a whole
 * object's parsed items); if the object turns out unreadable halfway, its rows and new columns are undone, so an
 * object is accepted or quarantined whole. Storage or network trouble and flattening bugs are thrown: the run fails
 * and a later one retries, nothing is quarantined for them.
 */
export async function readObjectInto(
  store: ObjectStore,
  key: string,
  batch: BatchBuilder,
  columns: ColumnRegistry,
  quarantinePrefix: string,
): Promise<ObjectRead> {
  batch.begin();
  const columnMark = columns.mark();
  const quarantine: [string, QuarantineLine][] = [];
  const skipped = new Map<string, number>();
  let lines = 0;
  let flattenFailure: { readonly error: unknown } | undefined;
  try {
    for await (const line of readRawLines(store, key)) {
      lines += 1;
      const parsed = parseLine(line);
      const raw: RawRecord | undefined = parsed.ok ? asRawRecord(parsed.value) : undefined;
      const change: Change = raw ? toChange(raw) : { kind: 'quarantine', reason: 'not a raw stream record' };
      if (change.kind === 'upsert' || change.kind === 'delete') {
        try {
          batch.add(change, key);
        } catch (error) {
          flattenFailure = { error }; // a bug, not bad input: fail the run (below), never quarantine the object
          break;
        }
      } else if (change.kind === 'skip') {
        skipped.set(change.reason, (skipped.get(change.reason) ?? 0) + 1);
      } else {
        const entry: QuarantineLine = {
          reason: change.reason,
          source: { object: key, line: lines, ...raw?.source },
          record: raw?.originalText ?? raw?.rawText ?? raw ?? line,
        };
        quarantine.push([quarantineEntryKey(quarantinePrefix, raw, entry), entry]);
      }
    }
  } catch (error) {
    batch.rollback();
    columns.rollback(columnMark);
    // Gone since the listing: a concurrent run took it. Storage or network trouble: fail the run, retry later.
    if (error instanceof ObjectNotFoundError) return { kind: 'gone' };
    if (error instanceof PipelineError && !error.terminal) throw error;
    return { kind: 'unreadable', error };
  }
  if (flattenFailure) {
    batch.rollback();
    columns.rollback(columnMark);
    throw flattenFailure.error;
  }
  return { kind: 'read', lines, skipped, quarantine };
}

/** Keeps an unreadable object (corrupt gzip, ...) whole in quarantine, with a `.reason.json` beside it. */
export async function quarantineObject(
  store: ObjectStore,
  key: string,
  prefixes: { readonly rawPrefix: string; readonly quarantinePrefix: string },
  error: unknown,
): Promise<void> {
  const target = relocate(key, prefixes.rawPrefix, prefixes.quarantinePrefix);
  await store.copy(key, target);
  await store.put(
    `${target}.reason.json`,
    Buffer.from(JSON.stringify({ object: key, reason: errorMessage(error) })),
  );
  await store.delete(key);
}
