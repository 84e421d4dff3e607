import { errorMessage, InvalidRecordError } from '../errors.js';
import { isTtlRemoval, type RawRecord } from './RawRecord.js';
import { isPlainObject, type TelemetryItem, toTelemetryItem } from './TelemetryItem.js';

/** What one raw record asks of the table. */
export type Change =
  | {
      readonly kind: 'upsert';
      readonly eventId: string;
      readonly sequenceNumber: string;
      readonly item: TelemetryItem;
    }
  | { readonly kind: 'delete'; readonly eventId: string; readonly sequenceNumber: string }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'quarantine'; readonly reason: string };

export const SKIP_TTL = 'TTL removal (expired in DynamoDB, kept in the table)';

/** Decides what a raw record means; never throws: an unusable record becomes a `quarantine` change. */
export function toChange(record: RawRecord): Change {
  if (record.captureError !== undefined)
    return { kind: 'quarantine', reason: `capture: ${record.captureError}` };
  if (record.rawText !== undefined) return { kind: 'quarantine', reason: 'not valid JSON' };
  if (record.eventName === 'REMOVE') {
    if (isTtlRemoval(record)) return { kind: 'skip', reason: SKIP_TTL };
    const fromKeys = record.keys?.event_id;
    const fromOld = isPlainObject(record.oldImage) ? record.oldImage.event_id : undefined;
    const eventId = fromKeys ?? fromOld;
    if (typeof eventId !== 'string' || eventId === '') {
      return { kind: 'quarantine', reason: 'REMOVE record without an event_id key' };
    }
    return { kind: 'delete', eventId, sequenceNumber: record.sequenceNumber };
  }
  try {
    const result = toTelemetryItem(record.newImage);
    if (result.kind === 'skip') return result;
    return {
      kind: 'upsert',
      eventId: result.item.event_id,
      sequenceNumber: record.sequenceNumber,
      item: result.item,
    };
  } catch (error) {
    if (error instanceof InvalidRecordError) return { kind: 'quarantine', reason: error.message };
    return { kind: 'quarantine', reason: `unexpected: ${errorMessage(error)}` };
  }
}

/** Loose check of a raw line read back from storage (our own format, but storage is an edge). */
export function asRawRecord(value: unknown): RawRecord | undefined {
  if (!isPlainObject(value)) return undefined;
  const { eventName, sequenceNumber } = value;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') return undefined;
  if (typeof sequenceNumber !== 'string') return undefined;
  return value as unknown as RawRecord;
}
