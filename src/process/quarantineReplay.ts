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
  /** Decide and count only: nothing is written, loaded or removed. */
  readonly dryRun?: boolean;
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
  /** Raw objects this replay wrote (one per replayed record; one already pending or archived is not written again). */
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
 * normal path (raw object -> processPending -> sink) and keeps what still fails. Each replayed record becomes one
 * raw object named by its entry, written only when it is neither pending nor archived, so a second replay or a
 * re-run after a crash writes nothing twice (and the load ledger would recognise it anyway); a replayed record
 * keeps its order key, so the table takes it exactly once.
 *
 * With `sink` (the data folder) the replay loads its objects itself and removes an entry once its object's load
 * committed (it is archived). Without (a bucket) it hands them over: the objects wait under the raw prefix for
 * the process function (or `telemetry process --bucket`), which holds the single-writer lease, and an entry is
 * removed once its object exists.
 *
 * @example
 * const s = await quarantineReplay({ store, sink }, { rawPrefix: 'raw/telemetry/',
 *   archivePrefix: 'archive/telemetry/', quarantinePrefix: 'quarantine/telemetry/' });
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
  if (options.dryRun || replay.length === 0) {
    return { ...base, written: 0, removed: 0, loaded: false, process: emptyProcessSummary() };
  }

  const rawPrefix = options.rawPrefix + QUARANTINE_REPLAY_FOLDER;
  const archivePrefix = options.archivePrefix + QUARANTINE_REPLAY_FOLDER;
  const isArchived = async (key: string) =>
    (await store.head(relocate(key, rawPrefix, archivePrefix))) !== undefined;
  const objects: { key: string; entry: QuarantineEntry }[] = [];
  let written = 0;
  for (const { entry, raw } of replay) {
    const source = `replay-${entry.id}`;
    const key = rawObjectKey(rawPrefix, source, [raw]);
    if (!(await store.head(key)) && !(await isArchived(key))) {
      await captureBatch([raw], store, { rawPrefix, source });
      written += 1;
    }
    objects.push({ key, entry });
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
  for (const { key, entry } of objects) {
    // Loaded here: only once archived (a crash before leaves the entry; the next replay finds the object). Handed
    // over: the object exists, whoever processes the raw prefix loads it.
    if (sink && ((await store.head(key)) || !(await isArchived(key)))) continue;
    await store.delete(entry.key);
    removed += 1;
  }
  return { ...base, written, removed, loaded: sink !== undefined, process };
}
