import { gzipSync } from 'node:zlib';
import type { RawRecord } from '../core/model/RawRecord.js';
import { rawObjectKey } from '../core/model/rawObjectKey.js';
import { encodeNdjson } from '../core/ndjson/ndjson.js';
import type { ObjectStore } from '../ports/ObjectStore.js';

export interface CaptureOptions {
  /** e.g. `telemetry/` in S3, `raw/telemetry/` in the local data folder. */
  readonly rawPrefix: string;
  /** The stream shard the records came from (file input uses a fixed name). */
  readonly shardId: string;
}

export interface CaptureResult {
  readonly key: string;
  readonly records: number;
  readonly bytes: number;
}

/**
 * Stage 1: writes one batch of stream records as ONE gzip NDJSON object. Capture never judges content
 * (that is process's job, where bad records are quarantined); it only has to be durable and idempotent.
 *
 * @example
 * const { key } = await captureBatch(records, store, { rawPrefix: 'telemetry/', shardId });
 */
export async function captureBatch(
  records: readonly RawRecord[],
  store: ObjectStore,
  options: CaptureOptions,
): Promise<CaptureResult | undefined> {
  if (records.length === 0) return undefined;
  const key = rawObjectKey(options.rawPrefix, options.shardId, records);
  const body = gzipSync(encodeNdjson(records));
  await store.put(key, body, { contentType: 'application/x-ndjson' });
  return { key, records: records.length, bytes: body.byteLength };
}
