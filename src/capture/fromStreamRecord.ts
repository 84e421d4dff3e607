import { streamOrderKey } from '../core/model/orderKey.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import type { RawLine } from './captureBatch.js';
import { unmarshallImage } from './unmarshallImage.js';

/** A DynamoDB stream record as Lambda delivers it and as `aws dynamodbstreams get-records` prints it. */
export interface StreamRecordLike {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly userIdentity?: { readonly type?: string; readonly principalId?: string } | null;
  readonly dynamodb?: {
    readonly ApproximateCreationDateTime?: number | string | Date;
    readonly Keys?: Record<string, unknown>;
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
  };
}

function epochMs(value: number | string | Date | undefined, fallback: number): number {
  if (value instanceof Date) return value.getTime();
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) return fallback;
  // Streams report epoch seconds (possibly fractional); anything past year 33658 in seconds is already ms.
  return n < 1e12 ? Math.round(n * 1000) : Math.round(n);
}

/**
 * A DynamoDB stream record becomes a raw record: images unmarshalled, sequence number padded.
 * Throws on a record without a sequence number or event name (the capture handler reports it as failed).
 */
export function fromStreamRecord(record: StreamRecordLike, now: number = Date.now()): RawRecord {
  const d = record.dynamodb;
  if (!d?.SequenceNumber) throw new Error('stream record without dynamodb.SequenceNumber');
  const eventName = record.eventName;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new Error(`stream record with unknown eventName ${JSON.stringify(eventName)}`);
  }
  const sequenceNumber = streamOrderKey(d.SequenceNumber);
  return {
    eventName,
    eventID: record.eventID ?? sequenceNumber,
    sequenceNumber,
    approximateCreationTime: epochMs(d.ApproximateCreationDateTime, now),
    keys: d.Keys ? unmarshallImage(d.Keys) : null,
    newImage: d.NewImage ? unmarshallImage(d.NewImage) : null,
    ...(d.OldImage ? { oldImage: unmarshallImage(d.OldImage) } : {}),
    userIdentity: record.userIdentity ?? null,
  };
}

/**
 * {@link fromStreamRecord} as its NDJSON line, encoded at once: the record's objects die young (cheap to collect)
 * instead of living until the whole batch is written.
 */
export function streamRecordLine(record: StreamRecordLike, now: number = Date.now()): RawLine {
  const raw = fromStreamRecord(record, now);
  const { eventName, sequenceNumber, approximateCreationTime } = raw;
  return { eventName, sequenceNumber, approximateCreationTime, text: JSON.stringify(raw) };
}
