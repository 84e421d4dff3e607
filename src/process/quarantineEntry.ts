import { createHash } from 'node:crypto';
import type { RawRecord } from '../core/model/RawRecord.js';
import { encodeNdjson } from '../core/ndjson/ndjson.js';
import type { ObjectStore } from '../ports/ObjectStore.js';

/** A quarantined record: why, where it came from, and what it was. */
export interface QuarantineLine {
  readonly reason: string;
  readonly source: {
    readonly object: string;
    readonly line: number;
    readonly file?: string;
    readonly position?: number;
    readonly byteOffset?: number;
  };
  /** The line's text as it arrived when known (file input), else the raw record, else the raw line. */
  readonly record: unknown;
}

/**
 * One quarantine object per entry, named by what the entry is, never by the run: a file-input record by its file,
 * position and text; a stream record by its event id and sequence number. A re-run after a crash (which captures
 * the same input into new raw objects) overwrites the same entries instead of adding them twice.
 */
export function quarantineEntryKey(
  prefix: string,
  raw: RawRecord | undefined,
  entry: QuarantineLine,
): string {
  const identity =
    raw?.source !== undefined
      ? `file\u0000${raw.source.file}\u0000${raw.source.position}\u0000${JSON.stringify(entry.record)}`
      : raw !== undefined
        ? `stream\u0000${raw.eventID}\u0000${raw.sequenceNumber}`
        : `object\u0000${entry.source.object}\u0000${entry.source.line}`;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  return `${prefix}records/${hash.slice(0, 2)}/${hash}.ndjson`;
}

/** Writes one entry at its key (see quarantineEntryKey): one NDJSON line, what `telemetry quarantine` reads. */
export async function writeQuarantineEntry(
  store: ObjectStore,
  key: string,
  entry: QuarantineLine,
): Promise<void> {
  await store.put(key, Buffer.from(encodeNdjson([entry])));
}
