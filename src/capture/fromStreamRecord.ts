import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { streamOrderKey } from '../core/model/orderKey.js';
import type { RawRecord } from '../core/model/RawRecord.js';

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

/** Count of significant decimal digits: up to 15 always survive a round trip through a double. */
function significantDigits(s: string): number {
  const mantissa = s
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

/**
 * DynamoDB numbers are arbitrary-precision decimals. One that a JavaScript number holds exactly becomes a number;
 * any other stays a string of its exact digits (never silently rounded).
 */
export function preciseNumber(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  // Fast path (most numbers): 15 characters hold at most 15 significant digits, and any integer that short is safe.
  if (text.length <= 15) return n;
  if (/^-?\d+$/.test(text)) return Number.isSafeInteger(n) ? n : text;
  return significantDigits(text) <= 15 ? n : text;
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

/** Unmarshalls DynamoDB JSON (typed attribute values) into plain JSON without losing number precision. */
export function unmarshallImage(image: Record<string, unknown>): Record<string, unknown> {
  const plain = unmarshall(image as Record<string, AttributeValue>, { wrapNumbers: preciseNumber });
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
