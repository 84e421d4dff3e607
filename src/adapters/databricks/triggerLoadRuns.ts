import { createHash } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import type { JobTrigger } from '../../ports/JobTrigger.js';
import { loadParameters } from './loadSql.js';
import { manifestBatch } from './StagedManifest.js';

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

/** The job parameters that name a staged batch for the load job (the same values direct mode binds). */
export function runParameters(bucket: string, stagedPrefix: string, batchId: string): Record<string, string> {
  const params = loadParameters((key) => `s3://${bucket}/${key}`, stagedPrefix, batchId);
  return Object.fromEntries(params.map((p) => [p.name, p.value ?? '']));
}

/**
 * Stage 3 trigger: for every staged manifest that was created, start the load job once for that batch. Duplicate and bursty S3
 * events are harmless: the idempotency token derived from key + ETag makes Databricks return the same run, and
 * repeats within one invocation are not even sent. Failures are collected (the caller retries / reports them).
 *
 * @example
 * const summary = await triggerLoadRuns(trigger, [{ bucket, key: 'staged/batch-ab/manifest.json', etag }]);
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
    const batch = manifestBatch(o.key);
    if (!batch) {
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
      const parameters = runParameters(o.bucket, batch.stagedPrefix, batch.batchId);
      started.push({ key: o.key, runId: await trigger.start(token, parameters) });
    } catch (error) {
      failed.push({ key: o.key, error: errorMessage(error) });
    }
  }
  return { started, ignored, duplicates, failed };
}
