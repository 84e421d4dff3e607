import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { S3Event } from 'aws-lambda';
import { lambdaInstance } from '../../compose/lambdaInstance.js';
import { METRICS_NAMESPACE, SERVICE_NAMES, TRIGGER_METRICS } from '../../config/metrics.js';
import { parseTriggerConfig, TRIGGER_HTTP } from '../../config/triggerConfig.js';
import { ConfigError, TransientError } from '../../core/errors.js';
import type { JobTrigger } from '../../ports/JobTrigger.js';
import { DatabricksHttp } from './DatabricksHttp.js';
import { DatabricksJobs } from './DatabricksJobs.js';
import { resolveCredentials, type SecretReader } from './databricksCredentials.js';
import { type CreatedObject, type TriggerSummary, triggerLoadRuns } from './triggerLoadRuns.js';

export interface TriggerHandlerDeps {
  /** Resolved lazily once per cold start (credentials come from Secrets Manager). */
  readonly trigger: () => Promise<JobTrigger>;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export type TriggerHandler = (event: S3Event) => Promise<TriggerSummary>;

/** S3 event records -> created objects (keys decoded: `+` is a space, the rest is URL-encoded). */
export function createdObjects(event: S3Event): CreatedObject[] {
  return (event.Records ?? [])
    .filter((r) => r.eventName?.startsWith('ObjectCreated'))
    .map((r) => ({
      bucket: r.s3.bucket.name,
      key: decodeURIComponent(r.s3.object.key.replaceAll('+', ' ')),
      etag: r.s3.object.eTag ?? '',
    }));
}

/**
 * The trigger Lambda's logic: S3 ObjectCreated for staged manifests -> `jobs/run-now` once per manifest. When a
 * run cannot be started the invocation fails after logging and counting it, so Lambda retries (same tokens: no
 * duplicate runs) and finally hands the event to the failure destination.
 *
 * @example
 * const handler = makeTriggerHandler({ trigger: async () => jobTrigger, logger });
 */
export function makeTriggerHandler(deps: TriggerHandlerDeps): TriggerHandler {
  return async (event) => {
    try {
      const summary = await triggerLoadRuns(await deps.trigger(), createdObjects(event));
      deps.logger.info('load runs', {
        started: summary.started,
        ignored: summary.ignored,
        duplicates: summary.duplicates,
        failed: summary.failed,
      });
      deps.metrics?.addMetric(TRIGGER_METRICS.runsStarted, MetricUnit.Count, summary.started.length);
      deps.metrics?.addMetric(TRIGGER_METRICS.runStartFailures, MetricUnit.Count, summary.failed.length);
      if (summary.failed.length > 0) {
        throw new TransientError(
          `could not start the load job for ${summary.failed.length} manifest(s): ${summary.failed.map((f) => `${f.key}: ${f.error}`).join('; ')}`,
        );
      }
      return summary;
    } catch (error) {
      if (!(error instanceof TransientError)) deps.logger.error('trigger failed', { error: String(error) });
      throw error;
    } finally {
      deps.metrics?.publishStoredMetrics();
    }
  };
}

/** Builds the handler from `TELEMETRY_*` variables; the job id is looked up by name once per cold start. */
export function triggerHandlerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readSecret?: SecretReader,
): TriggerHandler {
  const config = parseTriggerConfig(env);
  let trigger: Promise<JobTrigger> | undefined;
  const resolve = async (): Promise<JobTrigger> => {
    const credentials = await resolveCredentials(env, readSecret);
    const http = new DatabricksHttp({ host: config.TELEMETRY_DATABRICKS_HOST, credentials, ...TRIGGER_HTTP });
    const jobs = new DatabricksJobs(http);
    const jobId = await jobs.findByName(config.TELEMETRY_DATABRICKS_JOB_NAME);
    if (jobId === undefined) {
      throw new ConfigError(
        `no Databricks job named '${config.TELEMETRY_DATABRICKS_JOB_NAME}': run 'telemetry deploy databricks' first`,
      );
    }
    return { start: (token, parameters) => jobs.runNow(jobId, token, parameters) };
  };
  return makeTriggerHandler({
    trigger: () => {
      trigger ??= resolve().catch((error: unknown) => {
        trigger = undefined; // try again on the next event
        throw error;
      });
      return trigger;
    },
    logger: new Logger({ serviceName: SERVICE_NAMES.trigger }),
    metrics: new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAMES.trigger }),
  });
}

const instance = lambdaInstance(() => triggerHandlerFromEnv());

/** The trigger Lambda (S3 ObjectCreated on `staged/batch-*\/manifest.json` -> Databricks `jobs/run-now`). */
export async function handler(event: S3Event): Promise<TriggerSummary> {
  return instance()(event);
}
