import type { ObjectStore } from '../ports/ObjectStore.js';

export interface StatusPrefixes {
  readonly rawPrefix: string;
  readonly archivePrefix: string;
  readonly quarantinePrefix: string;
  readonly stagedPrefix: string;
}

/** Where each object of the pipeline stands, from the store alone (no table access). */
export interface PipelineStatus {
  /** Raw objects waiting for the process stage; `oldestAt` is the oldest one's write time (ms). */
  readonly pending: { readonly objects: number; readonly bytes: number; readonly oldestAt?: number };
  /** Quarantined entries, by reason (the text before its first `:`); reasons are read from the first `maxReasons`. */
  readonly quarantine: {
    readonly entries: number;
    readonly byReason: Readonly<Record<string, number>>;
    readonly reasonsRead: number;
  };
  readonly archived: { readonly objects: number; readonly bytes: number };
  /** Batch folders under the staged prefix (bookkeeping such as the process lease is not a batch). */
  readonly stagedBatches: number;
  /** Stream batches the capture Lambda gave up on (its on-failure destination), when that bucket was read. */
  readonly failedRecords?: PipelineStatus['pending'];
}

const REASON = '.reason.json';

/** A quarantine entry's reason, grouped: `invalid JSON: Unexpected token } ...` -> `invalid JSON`. */
function reasonOf(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8');
  const first = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
  try {
    const reason = (JSON.parse(first) as { reason?: unknown }).reason;
    if (typeof reason === 'string' && reason.length > 0) return reason.split(':')[0]?.trim() || reason;
  } catch {
    // not one of ours: counted under its own heading
  }
  return 'entry without a reason';
}

/** The raw objects waiting for the process stage; the oldest one's write time is the pipeline's lag. */
export async function pendingRaw(store: ObjectStore, rawPrefix: string): Promise<PipelineStatus['pending']> {
  let objects = 0;
  let bytes = 0;
  let oldestAt: number | undefined;
  for await (const o of store.list(rawPrefix)) {
    objects += 1;
    bytes += o.size;
    if (oldestAt === undefined || o.lastModified < oldestAt) oldestAt = o.lastModified;
  }
  return { objects, bytes, ...(oldestAt === undefined ? {} : { oldestAt }) };
}

/**
 * The pipeline's state as an operator asks for it: how much waits, how old the oldest waiting object is (the lag),
 * what was quarantined and why, how much is archived and staged. Lists each prefix once.
 *
 * @example
 * const status = await pipelineStatus(store, { rawPrefix: 'telemetry/', archivePrefix: 'archive/telemetry/',
 *   quarantinePrefix: 'quarantine/telemetry/', stagedPrefix: 'staged/' });
 */
export async function pipelineStatus(
  store: ObjectStore,
  prefixes: StatusPrefixes,
  options: {
    readonly maxReasons?: number;
    /** The failed-records bucket and the prefix its stream batches are under. */
    readonly failed?: { readonly store: ObjectStore; readonly prefix: string };
  } = {},
): Promise<PipelineStatus> {
  const pending = await pendingRaw(store, prefixes.rawPrefix);
  const maxReasons = options.maxReasons ?? 1000;
  const byReason: Record<string, number> = {};
  let entries = 0;
  let reasonsRead = 0;
  // An unreadable raw object is kept whole beside its `<key>.reason.json`: one entry, its reason in the JSON.
  const keys: string[] = [];
  for await (const o of store.list(prefixes.quarantinePrefix)) keys.push(o.key);
  const explained = new Set(keys.filter((k) => k.endsWith(REASON)).map((k) => k.slice(0, -REASON.length)));
  for (const key of keys) {
    if (explained.has(key)) continue;
    entries += 1;
    if (reasonsRead >= maxReasons) continue;
    reasonsRead += 1;
    const reason = key.endsWith(REASON)
      ? `unreadable object (${reasonOf(await store.get(key))})`
      : reasonOf(await store.get(key));
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }
  let archivedObjects = 0;
  let archivedBytes = 0;
  for await (const o of store.list(prefixes.archivePrefix)) {
    archivedObjects += 1;
    archivedBytes += o.size;
  }
  const batches = new Set<string>();
  for await (const o of store.list(prefixes.stagedPrefix)) {
    const folder = o.key.slice(prefixes.stagedPrefix.length).split('/')[0] ?? '';
    if (o.key.slice(prefixes.stagedPrefix.length).includes('/') && !folder.startsWith('_'))
      batches.add(folder);
  }
  return {
    pending,
    quarantine: { entries, byReason, reasonsRead },
    archived: { objects: archivedObjects, bytes: archivedBytes },
    stagedBatches: batches.size,
    ...(options.failed
      ? { failedRecords: await pendingRaw(options.failed.store, options.failed.prefix) }
      : {}),
  };
}

/** When the pipeline needs attention; an unset limit is not checked. */
export interface HealthThresholds {
  /** The oldest pending raw object may be at most this old (ms). */
  readonly maxLagMs?: number;
  /** At most this many quarantine entries. */
  readonly maxQuarantined?: number;
  /** The newest `recorded_at` may be at most this old (ms): events stopped arriving. */
  readonly maxAgeMs?: number;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * What needs attention, one sentence each (empty: healthy). Pure: `status`/`table` are what was read, `now` the
 * time it was read at.
 *
 * @example
 * healthProblems(status, table, { maxLagMs: 15 * 60_000 }, Date.now()); // ['oldest pending raw object is 42 min old (max 15 min)']
 */
export function healthProblems(
  status: PipelineStatus,
  table: { readonly newestRecordedAt?: number } | undefined,
  thresholds: HealthThresholds,
  now: number,
): string[] {
  const problems: string[] = [];
  const { oldestAt } = status.pending;
  if (thresholds.maxLagMs !== undefined && oldestAt !== undefined && now - oldestAt > thresholds.maxLagMs) {
    problems.push(
      `oldest pending raw object is ${minutes(now - oldestAt)} old (max ${minutes(thresholds.maxLagMs)}): is the process stage running?`,
    );
  }
  if (thresholds.maxQuarantined !== undefined && status.quarantine.entries > thresholds.maxQuarantined) {
    problems.push(
      `${status.quarantine.entries} quarantine entries (max ${thresholds.maxQuarantined}): see telemetry quarantine list`,
    );
  }
  const failed = status.failedRecords?.objects ?? 0;
  if (failed > 0) {
    problems.push(
      `${failed} failed-records object(s): stream batches capture gave up on, see telemetry replay failed-records`,
    );
  }
  if (thresholds.maxAgeMs !== undefined) {
    const newest = table?.newestRecordedAt;
    if (newest === undefined) problems.push('no event with a recorded_at in the table');
    else if (now - newest > thresholds.maxAgeMs)
      problems.push(
        `newest recorded_at is ${minutes(now - newest)} old (max ${minutes(thresholds.maxAgeMs)}): are events arriving?`,
      );
  }
  return problems;
}
