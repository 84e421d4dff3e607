import { z } from 'zod';
import { nonEmpty, prefix } from './parseEnv.js';
import { DEFAULT_PREFIXES } from './prefixes.js';

/** Where the pipeline's objects live in S3. One bucket, one prefix per role. */
export const storageEnv = z.object({
  TELEMETRY_BUCKET: nonEmpty,
  TELEMETRY_RAW_PREFIX: prefix.default(DEFAULT_PREFIXES.raw),
  TELEMETRY_ARCHIVE_PREFIX: prefix.default(DEFAULT_PREFIXES.archive),
  TELEMETRY_QUARANTINE_PREFIX: prefix.default(DEFAULT_PREFIXES.quarantine),
  TELEMETRY_STAGED_PREFIX: prefix.default(DEFAULT_PREFIXES.staged),
  /** Any S3-compatible server (local S3 for `telemetry dev`); unset on AWS. */
  TELEMETRY_S3_ENDPOINT: z.url().optional(),
});
export type StorageEnv = z.infer<typeof storageEnv>;
