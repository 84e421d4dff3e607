import type { StreamRecordLike } from '../capture/fromStreamRecord.js';

/**
 * One object the capture event source mapping wrote to its S3 on-failure destination: Lambda's invocation record
 * for a DynamoDB stream batch it gave up on. For S3 destinations (unlike SNS/SQS) it carries the whole invocation
 * event as `payload`, so the batch can be turned back into a raw object without the stream (which trims after 24 h).
 * Documented shape (services-dynamodb-errors): `requestContext`, `responseContext`, `version`, `timestamp`,
 * `DDBStreamBatchInfo {shardId, startSequenceNumber, endSequenceNumber, approximateArrivalOf…, batchSize,
 * streamArn}`, `payload` (the event; AWS shows it as `"<Whole Event>"`, so both an object and its JSON text are read).
 */
export interface FailedBatch {
  /** The stream the records came from. */
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  /** When Lambda gave up (epoch ms): stands in for the clock, so a replay writes the same bytes every time. */
  readonly failedAt: number;
  /** `RetryAttemptsExhausted`, `RecordAgeExceeded`, … */
  readonly condition: string;
  readonly records: readonly StreamRecordLike[];
}

/** Not a replayable stream batch: why, and whether that is expected (another function's record) or a problem. */
export interface NotReplayable {
  readonly reason: string;
  /** True for objects that are not stream batches at all (e.g. the trigger's failed S3 events): left alone. */
  readonly foreign: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads one failed-records object. Pure: the caller fetched the bytes.
 *
 * @example
 * const parsed = parseFailedBatch(await failedStore.get(key));
 * if ('records' in parsed) ... else console.log(parsed.reason);
 */
export function parseFailedBatch(bytes: Uint8Array | string): FailedBatch | NotReplayable {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch {
    return { reason: 'not JSON', foreign: false };
  }
  if (!isObject(doc)) return { reason: 'not a JSON object', foreign: false };
  const info = doc.DDBStreamBatchInfo;
  if (!isObject(info)) {
    return { reason: 'not a DynamoDB stream batch (no DDBStreamBatchInfo)', foreign: true };
  }
  const streamArn = text(info.streamArn);
  const shardId = text(info.shardId);
  const start = text(info.startSequenceNumber);
  const end = text(info.endSequenceNumber);
  if (!streamArn || !shardId || !start || !end) {
    return { reason: 'DDBStreamBatchInfo without streamArn, shardId or sequence numbers', foreign: false };
  }
  let payload: unknown = doc.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      return { reason: 'payload is not JSON', foreign: false };
    }
  }
  const records = isObject(payload) ? payload.Records : undefined;
  if (!Array.isArray(records) || records.length === 0) {
    return {
      reason: `no payload records (only the range ${start}..${end} of ${shardId}): re-read it from the stream within 24 h`,
      foreign: false,
    };
  }
  const failedAt = Date.parse(text(doc.timestamp) ?? '');
  if (!Number.isFinite(failedAt)) return { reason: 'timestamp missing or not a date', foreign: false };
  const context = isObject(doc.requestContext) ? doc.requestContext : {};
  const first: unknown = records[0];
  return {
    // The ARN capture read from the event (names the raw object); the batch info's when a record lacks it.
    streamArn: (isObject(first) && text(first.eventSourceARN)) || streamArn,
    shardId,
    startSequenceNumber: start,
    endSequenceNumber: end,
    failedAt,
    condition: text(context.condition) ?? 'unknown',
    records: records as StreamRecordLike[],
  };
}
