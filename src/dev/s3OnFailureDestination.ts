import { createHash, randomUUID } from 'node:crypto';
import type { ObjectStore } from '../ports/ObjectStore.js';
import { FAILED_BATCHES_PREFIX } from '../replay/replayFailedRecords.js';
import type { OnFailureRecord } from './StreamPoller.js';

/** A stable UUID-shaped id for the emulated event source mapping of a stream (Lambda's is random, then fixed). */
export function mappingId(streamArn: string): string {
  const h = createHash('sha256').update(streamArn).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The key Lambda gives an on-failure record in an S3 destination:
 * `aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>` (services-dynamodb-errors).
 */
export function onFailureObjectKey(
  record: OnFailureRecord,
  mapping: string,
  id: string = randomUUID(),
): string {
  const at = new Date(record.timestamp).toISOString();
  const day = at.slice(0, 10).replaceAll('-', '/');
  const stamp = at.slice(0, 19).replaceAll(':', '.');
  return `${FAILED_BATCHES_PREFIX}${mapping}/${record.DDBStreamBatchInfo.shardId}/${day}/${stamp}-${id}`;
}

/**
 * The emulated mapping's S3 on-failure destination: writes each record (with its `payload`) where and as Lambda
 * does, so `telemetry replay failed-records` reads the local failed-records bucket like the deployed one.
 * Returns the written key.
 *
 * @example
 * const poller = new StreamPoller(streams, capture, { streamArn, onFailure: s3OnFailureDestination(failedStore, streamArn) });
 */
export function s3OnFailureDestination(
  store: ObjectStore,
  streamArn: string,
): (record: OnFailureRecord) => Promise<string> {
  const mapping = mappingId(streamArn);
  return async (record) => {
    const key = onFailureObjectKey(record, mapping);
    await store.put(key, Buffer.from(JSON.stringify(record)));
    return key;
  };
}
