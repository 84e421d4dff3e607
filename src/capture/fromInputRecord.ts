import { asRawRecord } from '../core/model/Change.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { isPlainObject } from '../core/model/TelemetryItem.js';
import { fromStreamRecord, type StreamRecordLike, unmarshallImage } from './fromStreamRecord.js';

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
 * One input record, in any of the shapes users have (an item as stored, a webhook delivery, a DynamoDB export
 * line `{"Item": ...}`, typed DynamoDB JSON, a stream record), becomes a raw record like the ones capture writes.
 * Text that is not JSON is kept verbatim (`rawText`) so process can quarantine it with its position.
 */
export function fromInputRecord(
  parsed: { ok: true; value: unknown } | { ok: false; text: string },
  at: InputPosition,
): RawRecord {
  const source = { file: at.file, position: at.position };
  const base = {
    eventID: `${at.file}#${at.position}`,
    sequenceNumber: at.sequenceNumber,
    approximateCreationTime: at.now,
    userIdentity: null,
    source,
  };
  if (!parsed.ok) return { ...base, eventName: 'INSERT', keys: null, newImage: null, rawText: parsed.text };
  const value = parsed.value;
  // A line of a raw or archived object (our own format): replayed as it is, with its own sequence number.
  const raw = asRawRecord(value);
  if (raw) return raw;
  if (isPlainObject(value) && isPlainObject(value.dynamodb) && typeof value.eventName === 'string') {
    try {
      return { ...fromStreamRecord(value as StreamRecordLike, at.now), source };
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
