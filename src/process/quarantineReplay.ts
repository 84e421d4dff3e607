import { createHash } from 'node:crypto';
import { captureBatch } from '../capture/captureBatch.js';
import { fromInputRecord } from '../capture/fromInputRecord.js';
import { fromStreamRecord, type StreamRecordLike } from '../capture/fromStreamRecord.js';
import { asRawRecord, toChange } from '../core/model/Change.js';
import { snapshotOrderKey } from '../core/model/orderKey.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { isPlainObject } from '../core/model/TelemetryItem.js';
import { parseLine } from '../core/ndjson/ndjson.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { emptyProcessSummary, type ProcessSummary } from './ProcessSummary.js';
import { processPending } from './processPending.js';
import { type QuarantineEntry, quarantineEntries } from './quarantineEntries.js';
import { readRawLines } from './readRawLines.js';
import { relocate } from './relocate.js';

export interface QuarantineReplayOptions {
  readonly rawPrefix: string;
  readonly archivePrefix: string;
  readonly quarantinePrefix: string;
  /** Decide and count only: nothing is written, loaded or removed. */
  readonly dryRun?: boolean;
  /** Records per replay raw object. */
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
  /** Replayed entries removed from quarantine after their load committed. */
  readonly removed: number;
  /** The normal process + load of the replayed records (their own counts; reconciles like any run). */
  readonly process: ProcessSummary;
  readonly dryRun: boolean;
}

/** Sub-prefix of the raw and archive prefixes for replayed records: a replay processes only its own objects. */
const REPLAY_FOLDER = 'quarantine-replay/';

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
 * normal path (raw object -> processPending -> sink, so the ledger and the order keys make it exactly once) and
 * keeps what still fails. Entries are removed only after the load of their raw object committed (it is archived):
 * a crash before that leaves them, and the next replay writes the same raw object (named by the replayed entries),
 * which the ledger recognises. A second replay finds nothing to do.
 *
 * @example
 * const s = await quarantineReplay({ store, sink }, { rawPrefix: 'raw/telemetry/',
 *   archivePrefix: 'archive/telemetry/', quarantinePrefix: 'quarantine/telemetry/' });
 */
export async function quarantineReplay(
  deps: { readonly store: ObjectStore; readonly sink?: TableSink },
  options: QuarantineReplayOptions,
): Promise<QuarantineReplaySummary> {
  const { store } = deps;
  const chunkSize = options.chunkSize ?? 5000;
  const archived = new Map<string, Promise<string[]>>();
  const keptByReason: Record<string, number> = {};
  const replay: { entry: QuarantineEntry; raw: RawRecord }[] = [];
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
    }
  }
  const kept = entries - replay.length;
  const base = { entries, replayed: replay.length, kept, keptByReason, dryRun: options.dryRun === true };
  if (options.dryRun || replay.length === 0 || !deps.sink) {
    return { ...base, removed: 0, process: emptyProcessSummary() };
  }

  // One raw object per chunk, named by the entries it replays: the same replay writes the same objects.
  const rawPrefix = options.rawPrefix + REPLAY_FOLDER;
  const archivePrefix = options.archivePrefix + REPLAY_FOLDER;
  const chunks: { key: string; entries: QuarantineEntry[] }[] = [];
  for (let i = 0; i < replay.length; i += chunkSize) {
    const part = replay.slice(i, i + chunkSize);
    const label = createHash('sha256')
      .update(part.map((p) => p.entry.id).join('\n'))
      .digest('hex')
      .slice(0, 16);
    const written = await captureBatch(
      part.map((p) => p.raw),
      store,
      { rawPrefix, source: `replay-${label}` },
    );
    if (written) chunks.push({ key: written.key, entries: part.map((p) => p.entry) });
  }
  const process = await processPending(
    { store, sink: deps.sink },
    {
      rawPrefix,
      archivePrefix,
      quarantinePrefix: options.quarantinePrefix,
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    },
  );
  let removed = 0;
  for (const chunk of chunks) {
    const loaded =
      !(await store.head(chunk.key)) && (await store.head(relocate(chunk.key, rawPrefix, archivePrefix)));
    if (!loaded) continue;
    for (const entry of chunk.entries) {
      await store.delete(entry.key);
      removed += 1;
    }
  }
  return { ...base, removed, process };
}
