import { captureLines } from '../capture/captureBatch.js';
import { streamName } from '../capture/streamName.js';
import { toRawLines } from '../capture/toRawLines.js';
import { errorMessage } from '../core/errors.js';
import { rawObjectKey } from '../core/model/rawObjectKey.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import { relocate } from '../process/relocate.js';
import { parseFailedBatch } from './parseFailedBatch.js';

/** Where Lambda writes on-failure records of event source mappings (`aws/lambda/<ESM-UUID>/<shardId>/…`). */
export const FAILED_BATCHES_PREFIX = 'aws/lambda/';
/** Where a replayed record goes in the same bucket: kept as evidence, out of the way of the next replay. */
export const REPLAYED_PREFIX = 'replayed/';

export interface ReplayOptions {
  /** Raw prefix of the data bucket (`telemetry/`): replayed batches land there, as capture would have written them. */
  readonly rawPrefix: string;
  /** A raw object already archived by process counts as captured (not written again). */
  readonly archivePrefix: string;
  /** Which failed-records objects to read (default {@link FAILED_BATCHES_PREFIX}). */
  readonly prefix?: string;
  /** Report what would happen; write, move and delete nothing. */
  readonly dryRun?: boolean;
}

export interface ReplayedBatch {
  /** The failed-records object. */
  readonly key: string;
  /** The raw object that holds its records now. */
  readonly rawKey: string;
  readonly records: number;
  /** `written`: the raw object was (re)created; `present`: it already existed under raw or archive. */
  readonly outcome: 'written' | 'present';
}

export interface ReplaySummary {
  readonly dryRun: boolean;
  /** Objects looked at under the prefix. */
  readonly scanned: number;
  readonly replayed: readonly ReplayedBatch[];
  /** Stream records turned back into raw lines, by event (REMOVEs included: their rows get deleted). */
  readonly events: { INSERT: number; MODIFY: number; REMOVE: number };
  /** Records capture could not convert: written marked, process quarantines them with the reason. */
  readonly rejected: number;
  /** Objects that are not stream batches (e.g. the trigger's failed S3 events): left where they are. */
  readonly foreign: readonly { key: string; reason: string }[];
  /** Stream batches that cannot be replayed (no payload, malformed): left where they are; exit 1. */
  readonly problems: readonly { key: string; reason: string }[];
}

async function exists(store: ObjectStore, key: string): Promise<boolean> {
  return (await store.head(key)) !== undefined;
}

/**
 * Turns the capture event source mapping's on-failure objects back into raw objects, exactly once: the raw key is
 * the one capture derives from the stream and the batch's sequence numbers (so a second write is the same object,
 * and the load ledger and sequence-number rule make a re-load change nothing), an object whose raw twin is already
 * pending or archived is not written again, and each handled record moves to {@link REPLAYED_PREFIX} after its raw
 * object exists (a crash in between only repeats an idempotent write). INSERT, MODIFY and REMOVE all travel.
 *
 * @example
 * const summary = await replayFailedRecords({ failed, data }, { rawPrefix: 'telemetry/', archivePrefix: 'archive/telemetry/' });
 */
export async function replayFailedRecords(
  stores: { readonly failed: ObjectStore; readonly data: ObjectStore },
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const prefix = options.prefix ?? FAILED_BATCHES_PREFIX;
  const dryRun = options.dryRun === true;
  const replayed: ReplayedBatch[] = [];
  const foreign: { key: string; reason: string }[] = [];
  const problems: { key: string; reason: string }[] = [];
  const events = { INSERT: 0, MODIFY: 0, REMOVE: 0 };
  let rejected = 0;
  let scanned = 0;
  const keys: string[] = [];
  for await (const o of stores.failed.list(prefix)) keys.push(o.key);
  for (const key of keys) {
    if (key.startsWith(REPLAYED_PREFIX)) continue;
    scanned += 1;
    const parsed = parseFailedBatch(await stores.failed.get(key));
    if (!('records' in parsed)) {
      (parsed.foreign ? foreign : problems).push({ key, reason: parsed.reason });
      continue;
    }
    // The clock capture would have used for an unconvertible record is the failure time: same bytes every replay.
    const converted = [...toRawLines(parsed.records, parsed.failedAt)];
    const source = streamName(parsed.streamArn);
    let rawKey: string;
    try {
      rawKey = rawObjectKey(options.rawPrefix, source, converted);
    } catch (error) {
      problems.push({ key, reason: errorMessage(error) });
      continue;
    }
    const present =
      (await exists(stores.data, rawKey)) ||
      (await exists(stores.data, relocate(rawKey, options.rawPrefix, options.archivePrefix)));
    if (!dryRun) {
      if (!present) await captureLines(converted, stores.data, { rawPrefix: options.rawPrefix, source });
      await stores.failed.copy(key, `${REPLAYED_PREFIX}${key}`);
      await stores.failed.delete(key);
    }
    for (const r of converted) {
      events[r.eventName] += 1;
      if (r.rejected) rejected += 1;
    }
    replayed.push({
      key,
      rawKey,
      records: converted.length,
      outcome: present ? 'present' : 'written',
    });
  }
  return { dryRun, scanned, replayed, events, rejected, foreign, problems };
}
