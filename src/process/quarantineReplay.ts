import { createHash } from 'node:crypto';
import { captureBatch } from '../capture/captureBatch.js';
import { fromInputRecord } from '../capture/fromInputRecord.js';
import { fromStreamRecord, type StreamRecordLike } from '../capture/fromStreamRecord.js';
import { asRawRecord, toChange } from '../core/model/Change.js';
import { snapshotOrderKey } from '../core/model/orderKey.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { rawObjectKey } from '../core/model/rawObjectKey.js';
import { isPlainObject } from '../core/model/TelemetryItem.js';
import { parseLine } from '../core/ndjson/ndjson.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { emptyProcessSummary, type ProcessSummary } from './ProcessSummary.js';
import { processPending } from './processPending.js';
import { type QuarantineEntry, quarantineEntries } from './quarantineEntries.js';
import { writeQuarantineEntry } from './quarantineEntry.js';
import { readRawLines } from './readRawLines.js';
import { relocate } from './relocate.js';

export interface QuarantineReplayOptions {
  readonly rawPrefix: string;
  readonly archivePrefix: string;
  readonly quarantinePrefix: string;
  /** Its `_quarantine-replay/` folder notes which entries each replay object holds until they are removed. */
  readonly stagedPrefix: string;
  /** Decide and count only: nothing is written, loaded or removed. */
  readonly dryRun?: boolean;
  /** Records per replay raw object (default 5000). */
  readonly chunkSize?: number;
  readonly shouldStop?: () => boolean;
}

export interface QuarantineReplaySummary {
  /** Entries looked at (records and unreadable objects). */
  readonly entries: number;
  /** Records that now parse: re-ingested (or, with dryRun, that would be). */
  readonly replayed: number;
  /** Entries that still fail, by their reason today (an unreadable object is kept: there is nothing to re-parse). */
  readonly kept: number;
  readonly keptByReason: Readonly<Record<string, number>>;
  /** Kept entries rewritten with today's reason (it changed since they were quarantined; with dryRun: would be). */
  readonly reasonsUpdated: number;
  /** Raw objects this replay wrote (one per chunk of replayed records; one already pending or archived is not). */
  readonly written: number;
  /** Replayed entries removed from quarantine (with a sink: after their load committed; else once handed over). */
  readonly removed: number;
  /** True when this replay loaded the records itself; false when they wait in the raw prefix for the process stage. */
  readonly loaded: boolean;
  /** The normal process + load of the replayed records (their own counts; reconciles like any run). */
  readonly process: ProcessSummary;
  readonly dryRun: boolean;
}

/** Sub-prefix of the raw and archive prefixes for replayed records: a replay processes only its own objects. */
export const QUARANTINE_REPLAY_FOLDER = 'quarantine-replay/';

/** Where a replay notes, before writing a raw object, which entries it holds (beside the lease, `_leases/`). */
export function replayManifestPrefix(stagedPrefix: string): string {
  return `${stagedPrefix}_quarantine-replay/`;
}

/** A replay raw object and the keys of the entries it holds: what a re-run after a crash needs to finish it. */
interface ReplayManifest {
  readonly rawKey: string;
  readonly entries: readonly string[];
}

function parseManifest(body: Uint8Array): ReplayManifest | undefined {
  try {
    const m = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<ReplayManifest>;
    return typeof m.rawKey === 'string' && Array.isArray(m.entries) ? (m as ReplayManifest) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The raw record the entry was captured as: the entry holds it (stream input, damaged files), or the archived raw
 * object holds it at the entry's line (file input: the entry holds the line's text). Undefined when neither does.
 */
async function capturedAs(
  store: ObjectStore,
  entry: QuarantineEntry,
  options: QuarantineReplayOptions,
  archived: Map<string, Promise<string[]>>,
): Promise<RawRecord | undefined> {
  const held = asRawRecord(entry.record);
  if (held) return held;
  const key = relocate(entry.source.object, options.rawPrefix, options.archivePrefix);
  let lines = archived.get(key);
  if (!lines) {
    lines = (async () => {
      const out: string[] = [];
      try {
        for await (const line of readRawLines(store, key)) out.push(line);
      } catch {
        // archive gone (lifecycle rule) or unreadable: the entry replays with a key of its own
      }
      return out;
    })();
    archived.set(key, lines);
  }
  const line = (await lines)[entry.source.line - 1];
  const parsed = line === undefined ? undefined : parseLine(line);
  return parsed?.ok ? asRawRecord(parsed.value) : undefined;
}

/**
 * The entry's record decided again by today's rules, keeping its order key (docs/operations.md "Order keys": a
 * replayed line keeps the key it was captured with). The text is re-read as input is (fromInputRecord), a stream
 * record capture could not convert is converted again; a file line whose archived object is gone gets a snapshot
 * key at its quarantine time, stable across replays.
 */
export function replayRecord(entry: QuarantineEntry, captured: RawRecord | undefined): RawRecord | undefined {
  const text =
    typeof entry.record === 'string' ? entry.record : (captured?.originalText ?? captured?.rawText);
  if (text !== undefined && captured?.source?.byteOffset === undefined) {
    const parsed = parseLine(text);
    const file = captured?.source?.file ?? entry.source.file ?? entry.source.object;
    const position = captured?.source?.position ?? entry.source.position ?? entry.source.line;
    return fromInputRecord(parsed.ok ? { ok: true, value: parsed.value, text } : { ok: false, text }, {
      file,
      position,
      sequenceNumber: captured?.sequenceNumber ?? snapshotOrderKey('file', Math.floor(entry.at), position),
      now: captured?.approximateCreationTime ?? Math.floor(entry.at),
    });
  }
  if (captured?.captureError !== undefined && isPlainObject(captured.newImage)) {
    const stream = captured.newImage as StreamRecordLike;
    if (isPlainObject(stream.dynamodb)) {
      try {
        return fromStreamRecord(stream, captured.approximateCreationTime);
      } catch {
        return captured;
      }
    }
  }
  return captured;
}

/**
 * `telemetry quarantine replay`: after a rules fix, re-ingests the quarantined records that now parse through the
 * normal path (raw object -> processPending -> sink) and keeps what still fails. Exactly once: a replayed record
 * keeps its order key; each chunk of records becomes one raw object named by its entries, noted in a manifest
 * (raw key + entry keys) before it is written, written only when neither pending nor archived, and its entries
 * are removed before the manifest. A re-run after a crash at any point finishes the noted objects instead of
 * writing their records again; a second replay finds nothing to do.
 *
 * With `sink` (the data folder) the replay loads its objects itself and removes the entries once their object's
 * load committed (it is archived). Without (a bucket) it hands them over: the objects wait under the raw prefix
 * for the process function (or `telemetry process --bucket`), which holds the single-writer lease, and the
 * entries are removed once their object exists.
 *
 * @example
 * const s = await quarantineReplay({ store, sink }, { rawPrefix: 'raw/telemetry/', archivePrefix:
 *   'archive/telemetry/', quarantinePrefix: 'quarantine/telemetry/', stagedPrefix: 'staged/' });
 */
export async function quarantineReplay(
  deps: { readonly store: ObjectStore; readonly sink?: TableSink },
  options: QuarantineReplayOptions,
): Promise<QuarantineReplaySummary> {
  const { store, sink } = deps;
  const archived = new Map<string, Promise<string[]>>();
  const keptByReason: Record<string, number> = {};
  const replay: { entry: QuarantineEntry; raw: RawRecord }[] = [];
  const reasoned: { entry: QuarantineEntry; reason: string }[] = [];
  let entries = 0;
  for await (const entry of quarantineEntries(store, options.quarantinePrefix)) {
    entries += 1;
    const raw =
      entry.kind === 'record'
        ? replayRecord(entry, await capturedAs(store, entry, options, archived))
        : undefined;
    const change = raw ? toChange(raw) : undefined;
    if (raw && change && change.kind !== 'quarantine') {
      replay.push({ entry, raw });
    } else {
      const reason = change?.kind === 'quarantine' ? change.reason : entry.reason;
      keptByReason[reason] = (keptByReason[reason] ?? 0) + 1;
      if (entry.kind === 'record' && reason !== entry.reason) reasoned.push({ entry, reason });
    }
  }
  // A kept record fails today for another reason than when it was quarantined: its entry says today's.
  if (!options.dryRun) {
    for (const { entry, reason } of reasoned) {
      await writeQuarantineEntry(store, entry.key, { reason, source: entry.source, record: entry.record });
    }
  }
  const kept = entries - replay.length;
  const base = {
    entries,
    replayed: replay.length,
    kept,
    keptByReason,
    reasonsUpdated: reasoned.length,
    dryRun: options.dryRun === true,
  };
  const nothing = { ...base, written: 0, removed: 0, loaded: false, process: emptyProcessSummary() };
  if (options.dryRun) return nothing;

  const rawPrefix = options.rawPrefix + QUARANTINE_REPLAY_FOLDER;
  const archivePrefix = options.archivePrefix + QUARANTINE_REPLAY_FOLDER;
  const isArchived = async (key: string) =>
    (await store.head(relocate(key, rawPrefix, archivePrefix))) !== undefined;
  const exists = async (key: string) => (await store.head(key)) !== undefined || (await isArchived(key));
  const chunks: { key: string; manifest: string; entries: QuarantineEntry[] }[] = [];

  // Objects an earlier replay wrote but stopped before removing all their entries: finish them, write nothing.
  const fresh = new Map(replay.map((r) => [r.entry.key, r]));
  const manifests: string[] = [];
  for await (const o of store.list(replayManifestPrefix(options.stagedPrefix))) manifests.push(o.key);
  for (const manifest of manifests) {
    const noted = parseManifest(await store.get(manifest));
    if (!noted || !(await exists(noted.rawKey))) {
      await store.delete(manifest); // never written: its entries are replayed afresh below
      continue;
    }
    const held = noted.entries.flatMap((key) => {
      const r = fresh.get(key);
      fresh.delete(key);
      return r ? [r.entry] : [];
    });
    chunks.push({ key: noted.rawKey, manifest, entries: held });
  }
  if (chunks.length === 0 && fresh.size === 0) return nothing;

  // The rest in chunks named by their entries: the manifest first, then the object (a re-run writes the same).
  const rest = [...fresh.values()];
  const chunkSize = options.chunkSize ?? 5000;
  let written = 0;
  for (let i = 0; i < rest.length; i += chunkSize) {
    const part = rest.slice(i, i + chunkSize);
    const label = createHash('sha256')
      .update(part.map((p) => p.entry.id).join('\n'))
      .digest('hex')
      .slice(0, 16);
    const source = `replay-${label}`;
    const records = part.map((p) => p.raw);
    const key = rawObjectKey(rawPrefix, source, records);
    const manifest = `${replayManifestPrefix(options.stagedPrefix)}${label}.json`;
    const noted: ReplayManifest = { rawKey: key, entries: part.map((p) => p.entry.key) };
    await store.put(manifest, Buffer.from(JSON.stringify(noted)), { contentType: 'application/json' });
    if (!(await exists(key))) {
      await captureBatch(records, store, { rawPrefix, source });
      written += 1;
    }
    chunks.push({ key, manifest, entries: part.map((p) => p.entry) });
  }
  const process = sink
    ? await processPending(
        { store, sink },
        {
          rawPrefix,
          archivePrefix,
          quarantinePrefix: options.quarantinePrefix,
          ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
        },
      )
    : emptyProcessSummary();
  let removed = 0;
  for (const { key, manifest, entries: held } of chunks) {
    // Loaded here: only once archived (a crash before leaves entries and manifest; the next replay finishes them).
    // Handed over: the object exists, whoever processes the raw prefix loads it.
    if (sink && ((await store.head(key)) || !(await isArchived(key)))) continue;
    for (const entry of held) {
      await store.delete(entry.key);
      removed += 1;
    }
    await store.delete(manifest);
  }
  return { ...base, written, removed, loaded: sink !== undefined, process };
}
