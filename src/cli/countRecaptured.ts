import type { ObjectStore } from '../ports/ObjectStore.js';
import { relocate } from '../process/relocate.js';

/**
 * Pending raw objects that the archive already holds: the same input captured again (an export or a scan page
 * read a second time writes the same object keys). Process finds them in the sink's ledger and archives them
 * without loading; only the others among those it finds already loaded were left by an interrupted run.
 */
export async function countRecaptured(store: ObjectStore, prefixes: Prefixes): Promise<number> {
  return (await recapturedKeys(store, prefixes)).size;
}

type Prefixes = { readonly rawPrefix: string; readonly archivePrefix: string };

/** The pending raw objects that the archive already holds (see {@link countRecaptured}). */
export async function recapturedKeys(store: ObjectStore, prefixes: Prefixes): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const o of store.list(prefixes.rawPrefix))
    if (await isRecaptured(store, prefixes, o.key)) keys.add(o.key);
  return keys;
}

/** Whether the archive already holds this raw object (asked right after capture wrote it, before process runs). */
export async function isRecaptured(store: ObjectStore, prefixes: Prefixes, key: string): Promise<boolean> {
  return (await store.head(relocate(key, prefixes.rawPrefix, prefixes.archivePrefix))) !== undefined;
}

/**
 * What the summary says about objects process found already loaded: a re-read of the same input, or a real
 * recovery. `recaptured` unknown (a bucket, where counting costs a request per object): said neutrally.
 */
export function alreadyLoaded(objects: number, recaptured: number | undefined): string {
  if (recaptured === undefined) return `${objects} object(s) already loaded: archived, not loaded again`;
  const again = Math.min(objects, recaptured);
  const recovered = objects - again;
  return [
    ...(again ? [`${again} object(s) already loaded: the same input read again, not loaded twice`] : []),
    ...(recovered ? [`${recovered} object(s) recovered from an interrupted run (loaded, now archived)`] : []),
  ].join(', ');
}
