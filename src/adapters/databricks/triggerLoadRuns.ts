import { createHash } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import type { JobTrigger } from '../../ports/JobTrigger.js';
import { isManifestKey } from './StagedManifest.js';

/** One S3 ObjectCreated notification, reduced to what matters. */
export interface CreatedObject {
  readonly bucket: string;
  /** Decoded key (S3 events carry it URL-encoded with `+` for spaces). */
  readonly key: string;
  readonly etag: string;
}

export interface TriggerSummary {
  readonly started: { readonly key: string; readonly runId: number }[];
  /** Events for objects that are not staged manifests. */
  readonly ignored: number;
  /** Repeats of a manifest already handled in this invocation. */
  readonly duplicates: number;
  readonly failed: { readonly key: string; readonly error: string }[];
}

/** 64 hex characters (the Jobs API maximum) from bucket, key and ETag: one run per manifest version. */
export function idempotencyToken(o: CreatedObject): string {
  return createHash('sha256')
    .update(`${o.bucket}\n${o.key}\n${o.etag.replaceAll('"', '')}`)
    .digest('hex');
}

/**
 * Stage 3 trigger: for every staged manifest that was created, start the load job once. Duplicate and bursty S3
 * events are harmless: the idempotency token derived from key + ETag makes Databricks return the same run, and
 * repeats within one invocation are not even sent. Failures are collected (the caller retries / reports them).
 *
 * @example
 * const summary = await triggerLoadRuns(trigger, [{ bucket, key: 'staged/batch_id=ab/_manifest.json', etag }]);
 */
export async function triggerLoadRuns(
  trigger: JobTrigger,
  objects: readonly CreatedObject[],
): Promise<TriggerSummary> {
  const started: { key: string; runId: number }[] = [];
  const failed: { key: string; error: string }[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  let duplicates = 0;
  for (const o of objects) {
    if (!isManifestKey(o.key)) {
      ignored += 1;
      continue;
    }
    const token = idempotencyToken(o);
    if (seen.has(token)) {
      duplicates += 1;
      continue;
    }
    seen.add(token);
    try {
      started.push({ key: o.key, runId: await trigger.start(token) });
    } catch (error) {
      failed.push({ key: o.key, error: errorMessage(error) });
    }
  }
  return { started, ignored, duplicates, failed };
}
