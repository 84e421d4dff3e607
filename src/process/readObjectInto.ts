import { errorMessage, PipelineError } from '../core/errors.js';
import type { ColumnRegistry } from '../core/schema/ColumnRegistry.js';
import { ObjectNotFoundError, type ObjectStore } from '../ports/ObjectStore.js';
import type { BatchBuilder } from './BatchBuilder.js';
import { lineChange } from './lineChange.js';
import { type QuarantineLine, quarantineEntryKey } from './quarantineEntry.js';
import { DamagedObjectError, readRawLines } from './readRawLines.js';
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
 * object's parsed items). An object damaged halfway (corrupt or cut-off gzip) keeps every line before the damage
 * and quarantines the rest as one entry with the reason and byte offset; one unreadable from its first byte is
 * quarantined whole. Storage or network trouble and flattening bugs are thrown: the run fails
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
      const read = lineChange(line, lines, key, quarantinePrefix);
      if (read.kind === 'change') {
        try {
          batch.add(read.change, key);
        } catch (error) {
          flattenFailure = { error }; // a bug, not bad input: fail the run (below), never quarantine the object
          break;
        }
      } else if (read.kind === 'skip') {
        skipped.set(read.reason, (skipped.get(read.reason) ?? 0) + 1);
      } else {
        quarantine.push([read.key, read.entry]);
      }
    }
  } catch (error) {
    if (error instanceof DamagedObjectError && lines > 0) {
      // Damaged halfway: the lines before the damage stay in the batch; the rest is one quarantine entry.
      const entry = await damageEntry(store, key, lines + 1, error).catch((e: unknown) => {
        batch.rollback();
        columns.rollback(columnMark);
        throw e;
      });
      quarantine.push([quarantineEntryKey(quarantinePrefix, undefined, entry), entry]);
      return { kind: 'read', lines: lines + 1, skipped, quarantine };
    }
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

/**
 * The unreadable rest of a damaged object, whole: its bytes from where decoding stopped (base64), the reason and
 * the offset. The object itself is archived whole after its good lines load, so nothing is lost either way.
 */
export async function damageEntry(
  store: ObjectStore,
  key: string,
  line: number,
  error: DamagedObjectError,
): Promise<QuarantineLine> {
  const { byteOffset } = error;
  const rest = Buffer.from(await store.get(key)).subarray(byteOffset);
  return {
    reason: `damaged raw object: the rest of the object, from byte ${byteOffset}, is unreadable (${errorMessage(error.cause)})`,
    source: { object: key, line, byteOffset },
    record: { encoding: 'base64', fromByte: byteOffset, bytes: rest.toString('base64') },
  };
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
