import type { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { parseEnv } from '../config/parseEnv.js';
import { storageEnv } from '../config/storageConfig.js';
import type { StatusPrefixes } from '../process/pipelineStatus.js';
import { openS3Store } from './openS3Store.js';

/** A bucket as the Lambdas see it: its store and the object prefixes (TELEMETRY_*_PREFIX when set, else the defaults). */
export interface BucketLayout extends StatusPrefixes {
  readonly store: S3ObjectStore;
}

/**
 * Opens `bucket` at `endpoint` (else TELEMETRY_S3_ENDPOINT, else AWS S3) with the prefixes the capture and process
 * Lambdas use, so a CLI command reads and writes the same keys they do.
 *
 * @example
 * const { store, rawPrefix } = await openBucketLayout('telemetry-data', 'http://127.0.0.1:4566', process.env);
 */
export async function openBucketLayout(
  bucket: string,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<BucketLayout> {
  const cloud = parseEnv(storageEnv, { ...env, TELEMETRY_BUCKET: bucket }, 'storage');
  return {
    store: await openS3Store(bucket, endpoint ?? cloud.TELEMETRY_S3_ENDPOINT, env),
    rawPrefix: cloud.TELEMETRY_RAW_PREFIX,
    archivePrefix: cloud.TELEMETRY_ARCHIVE_PREFIX,
    quarantinePrefix: cloud.TELEMETRY_QUARANTINE_PREFIX,
    stagedPrefix: cloud.TELEMETRY_STAGED_PREFIX,
  };
}
