import { z } from 'zod';
import { nonEmpty, parseEnv, prefix } from './parseEnv.js';
import { DEFAULT_PREFIXES } from './prefixes.js';

/** Environment of the capture Lambda (DynamoDB Streams -> S3 raw objects). */
export const captureEnv = z.object({
  TELEMETRY_BUCKET: nonEmpty,
  TELEMETRY_RAW_PREFIX: prefix.default(DEFAULT_PREFIXES.raw),
  TELEMETRY_S3_ENDPOINT: z.url().optional(),
});
export type CaptureConfig = z.infer<typeof captureEnv>;

export function parseCaptureConfig(env: NodeJS.ProcessEnv = process.env): CaptureConfig {
  return parseEnv(captureEnv, env, 'capture');
}
