import { errorMessage } from '../core/errors.js';
import { asRawRecord, toChange } from '../core/model/Change.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { isPlainObject } from '../core/model/TelemetryItem.js';
import type { RawLine } from './captureBatch.js';
import { fromStreamRecord, type StreamRecordLike } from './fromStreamRecord.js';
import { unmarshallImage } from './unmarshallImage.js';

const ATTRIBUTE_TYPES = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

/** DynamoDB JSON: every value is a one-key attribute value such as `{"S": "..."}`. */
function isTypedItem(value: Record<string, unknown>): boolean {
  const entries = Object.values(value);
  return (
    entries.length > 0 &&
    entries.every(
      (v) => isPlainObject(v) && Object.keys(v).length === 1 && ATTRIBUTE_TYPES.has(Object.keys(v)[0] ?? ''),
    )
  );
}

export interface InputPosition {
  readonly file: string;
  /** 1-based line (NDJSON) or element index (JSON array) in the input file. */
  readonly position: number;
  /** Used when the record carries no sequence number of its own: input order = version order. */
  readonly sequenceNumber: string;
  readonly now: number;
}

/**
 * What the reader made of one record (see `InputRecord` in the fs adapter). `plain`: `text` is one line that plain
 * JSON.parse reads as this same value.
 */
export type ParsedInput =
  | { ok: true; value: unknown; text?: string; plain?: boolean }
  | { ok: false; text: string }
  | { ok: false; damaged: { reason: string; byteOffset: number } };

type Base = Omit<RawRecord, 'eventName' | 'keys' | 'newImage'>;

/** What every record read from input carries: where it came from, and its place in the version order. */
function baseOf(at: InputPosition): Base {
  return {
    eventID: `${at.file}#${at.position}`,
    sequenceNumber: at.sequenceNumber,
    approximateCreationTime: at.now,
    userIdentity: null,
    source: { file: at.file, position: at.position },
  };
}

function decode(value: unknown, at: InputPosition, base: Base): RawRecord {
  // A line of a raw or archived object (our own format): replayed as it is, with its own sequence number.
  const raw = asRawRecord(value);
  if (raw) return raw;
  if (isPlainObject(value) && isPlainObject(value.dynamodb) && typeof value.eventName === 'string') {
    try {
      return { ...fromStreamRecord(value as StreamRecordLike, at.now), source: base.source };
    } catch {
      // A stream record without a usable sequence number: treat like any other input line (process decides).
    }
  }
  let image: unknown = value;
  if (isPlainObject(value) && isPlainObject(value.Item) && Object.keys(value).length === 1) {
    image = unmarshallImage(value.Item);
  } else if (isPlainObject(value) && isTypedItem(value)) {
    image = unmarshallImage(value);
  }
  const id = isPlainObject(image) ? (image.event_id ?? image.eventId) : undefined;
  return {
    ...base,
    eventName: 'INSERT',
    keys: typeof id === 'string' ? { event_id: id } : null,
    newImage: image,
  };
}

/**
 * One input record, in any of the shapes users have (an item as stored, a webhook delivery, a DynamoDB export
 * line `{"Item": ...}`, typed DynamoDB JSON, a stream record), becomes a raw record like the ones capture writes.
 * Never throws: text that is not JSON, malformed DynamoDB JSON (`{"Q": "1"}`, an item wrapped one level too deep)
 * and the unreadable rest of a damaged file become records that process quarantines with their reason; such a
 * record keeps the line's text as it arrived (`originalText`) and where it came from.
 */
export function fromInputRecord(parsed: ParsedInput, at: InputPosition): RawRecord {
  const base = baseOf(at);
  const unusable = { ...base, eventName: 'INSERT', keys: null, newImage: null } as const;
  if ('damaged' in parsed) {
    const { reason, byteOffset } = parsed.damaged;
    return {
      ...unusable,
      source: { file: at.file, position: at.position, byteOffset },
      captureError: `damaged input: the rest of the file, from byte ${byteOffset}, is unreadable (${reason})`,
    };
  }
  if (!parsed.ok) return { ...unusable, rawText: parsed.text };
  const originalText = parsed.text ?? JSON.stringify(parsed.value);
  let raw: RawRecord;
  try {
    raw = decode(parsed.value, at, base);
  } catch (error) {
    return { ...unusable, captureError: `malformed input: ${errorMessage(error)}`, originalText };
  }
  // Only a record process will quarantine keeps its text (a cheap check, no flattening): raw objects stay small.
  return toChange(raw).kind === 'quarantine' ? { ...raw, originalText } : raw;
}

/**
 * The raw object line of one input record: `JSON.stringify` of {@link fromInputRecord}'s record. For the common
 * record, an item as stored (its id a string), the line holds the item's text as it arrived in place of its
 * re-encoding (half of capture's CPU on file input), when that text reads back the same (`plain`: one line, and no
 * number a double would round: process reads raw lines with plain JSON.parse; the exact reading made them strings).
 * Input already in `JSON.stringify`'s form gives the same bytes either way; other input, the same values.
 */
export function inputLine(parsed: ParsedInput, at: InputPosition): RawLine {
  const text = parsed.ok && parsed.plain ? parsed.text : undefined;
  const line = text !== undefined && parsed.ok ? itemLine(parsed.value, text, at) : undefined;
  if (line) return line;
  const r = fromInputRecord(parsed, at);
  const { eventName, sequenceNumber, approximateCreationTime } = r;
  return { eventName, sequenceNumber, approximateCreationTime, text: JSON.stringify(r) };
}

/**
 * {@link inputLine} for an item as stored: the record {@link decode} makes of it holds the value itself as its image.
 * Undefined for any other shape, and for a record process will quarantine (it keeps its original text): those take
 * the encoding path.
 */
function itemLine(value: unknown, text: string, at: InputPosition): RawLine | undefined {
  let record: RawRecord;
  try {
    record = decode(value, at, baseOf(at));
  } catch {
    return undefined; // malformed DynamoDB JSON: the encoding path says why
  }
  if (record.newImage !== value || toChange(record).kind === 'quarantine') return undefined;
  const { newImage: _, ...head } = record;
  const envelope = JSON.stringify(head);
  const { eventName, sequenceNumber, approximateCreationTime } = record;
  return {
    eventName,
    sequenceNumber,
    approximateCreationTime,
    text: `${envelope.slice(0, -1)},"newImage":${text.trim()}}`,
  };
}
