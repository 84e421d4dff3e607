/**
 * One line of a raw NDJSON object: a DynamoDB stream record as capture writes it (images already unmarshalled),
 * or an input line that the local pipeline wrapped the same way. Every line carries its sequence number and
 * event id so that every later step can deduplicate (delivery is at least once).
 */
export interface RawRecord {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** The stream record's id (or a synthetic one for file input). */
  readonly eventID: string;
  /** Zero-padded to {@link SEQUENCE_WIDTH} digits so that string order is numeric order. */
  readonly sequenceNumber: string;
  /** Epoch milliseconds. */
  readonly approximateCreationTime: number;
  readonly keys: Readonly<Record<string, unknown>> | null;
  readonly newImage: unknown;
  readonly oldImage?: unknown;
  /** Set by DynamoDB on TTL deletions: `{type: 'Service', principalId: 'dynamodb.amazonaws.com'}`. */
  readonly userIdentity: { readonly type?: string; readonly principalId?: string } | null;
  /** Where a file-input record came from; `byteOffset` where a damaged file became unreadable. */
  readonly source?: { readonly file: string; readonly position: number; readonly byteOffset?: number };
  /** The input line as it arrived, kept for a record that process will quarantine. */
  readonly originalText?: string;
  /** An input line that was not valid JSON, kept verbatim so that it can be quarantined. */
  readonly rawText?: string;
  /** Capture could not convert the stream record (kept whole in `newImage`): process quarantines it with this reason. */
  readonly captureError?: string;
}

export const SEQUENCE_WIDTH = 40;

/** DynamoDB sequence numbers are decimal strings of varying length; padding makes them compare as strings. */
export function padSequence(sequence: string | number | bigint): string {
  const s = String(sequence);
  if (!/^\d+$/.test(s)) throw new Error(`sequence number must be decimal digits, got ${JSON.stringify(s)}`);
  const trimmed = s.replace(/^0+(?=\d)/, '');
  if (trimmed.length > SEQUENCE_WIDTH)
    throw new Error(`sequence number longer than ${SEQUENCE_WIDTH} digits`);
  return trimmed.padStart(SEQUENCE_WIDTH, '0');
}

export function isTtlRemoval(record: Pick<RawRecord, 'eventName' | 'userIdentity'>): boolean {
  return (
    record.eventName === 'REMOVE' &&
    record.userIdentity?.type === 'Service' &&
    record.userIdentity.principalId === 'dynamodb.amazonaws.com'
  );
}
