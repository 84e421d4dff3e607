import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { streamOrderKey } from '../core/model/orderKey.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { exactNumber } from '../core/ndjson/parseJson.js';

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

/** A value that is not plain JSON: a set (SS/NS/BS) becomes an array, binary becomes base64. */
function plainLeaf(value: Set<unknown> | Uint8Array): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return [...value].map((v) => (v instanceof Set || v instanceof Uint8Array ? plainLeaf(v) : v));
}

/**
 * Makes a freshly unmarshalled value plain JSON in place: only sets and binary values are replaced (they are rare),
 * everything else is left as it is, so the common image is walked once and never copied.
 */
function makePlainInPlace(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'object' || v === null) continue;
      if (v instanceof Set || v instanceof Uint8Array) value[i] = plainLeaf(v);
      else makePlainInPlace(v);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof Set || v instanceof Uint8Array) record[k] = plainLeaf(v);
    else makePlainInPlace(v);
  }
}

/**
 * Unmarshalls DynamoDB JSON (typed attribute values) into plain JSON without losing number precision: an `N` that a
 * double cannot hold exactly stays the string of its digits. Throws on malformed DynamoDB JSON (e.g. `{"Q": "1"}`).
 */
export function unmarshallImage(image: Record<string, unknown>): Record<string, unknown> {
  const plain = unmarshall(image as Record<string, AttributeValue>, { wrapNumbers: exactNumber });
  makePlainInPlace(plain);
  return plain;
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
