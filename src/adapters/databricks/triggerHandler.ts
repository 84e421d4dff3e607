import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Context, S3Event } from 'aws-lambda';
import { lambdaInstance } from '../../compose/lambdaInstance.js';
import { METRICS_NAMESPACE, SERVICE_NAMES, TRIGGER_METRICS } from '../../config/metrics.js';
import { parseTriggerConfig, TRIGGER_HTTP } from '../../config/triggerConfig.js';
import { ConfigError, errorMessage, TransientError } from '../../core/errors.js';
import type { JobTrigger } from '../../ports/JobTrigger.js';
import { DatabricksHttp } from './DatabricksHttp.js';
import { DatabricksJobs, type RunState } from './DatabricksJobs.js';
import { resolveCredentials, type SecretReader } from './databricksCredentials.js';
import { type CreatedObject, type TriggerSummary, triggerLoadRuns } from './triggerLoadRuns.js';

export interface TriggerHandlerDeps {
  /** Resolved lazily once per cold start (credentials come from Secrets Manager). */
  readonly trigger: () => Promise<JobTrigger>;
  /** The load job's last {@link RECENT_RUNS} finished runs, most recently ended first. */
  readonly recentRuns?: () => Promise<readonly RunState[]>;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export type TriggerHandler = (event: S3Event) => Promise<TriggerSummary>;

/**
 * How many of the load job's finished runs each invocation looks at. `LoadRunFailures` is a gauge (failed runs
 * among the last N), not a count of new failures: any instance, invoked any number of times, publishes the same
 * number for the same runs, so the alarm's Maximum never double-counts (a "since the last check" count would need
 * state that concurrent Lambda instances do not share). N is well above the runs that end between two manifests,
 * so no failure slips past unseen; the gauge falls back to 0 once the failed runs are repaired or N newer runs
 * succeeded.
 */
export const RECENT_RUNS = 10;

/** Runs that ended without loading their batch: FAILED, TIMEDOUT, or a Databricks INTERNAL_ERROR. */
export function failedRuns(runs: readonly RunState[]): RunState[] {
  return runs.filter(
    (r) =>
      r.lifeCycleState === 'INTERNAL_ERROR' || r.resultState === 'FAILED' || r.resultState === 'TIMEDOUT',
  );
}

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
 * duplicate runs) and finally hands the event to the failure destination. Each invocation also publishes
 * `LoadRunFailures` from the job's recent runs, so a job that fails every run raises the `load-run-failures` alarm.
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
      await reportRecentFailures(deps);
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

/** Publishes `LoadRunFailures` and names the failed runs; a Jobs API problem here is logged, never fatal. */
async function reportRecentFailures(deps: TriggerHandlerDeps): Promise<void> {
  if (!deps.recentRuns) return;
  let runs: readonly RunState[];
  try {
    runs = await deps.recentRuns();
  } catch (error) {
    deps.logger.warn('could not read the load job runs', { error: errorMessage(error) });
    return;
  }
  const failed = failedRuns(runs);
  deps.metrics?.addMetric(TRIGGER_METRICS.runFailures, MetricUnit.Count, failed.length);
  if (failed.length > 0) {
    deps.logger.error('load runs failed', {
      failed: failed.length,
      of: runs.length,
      runs: failed.map((r) => ({
        runId: r.runId,
        state: r.lifeCycleState === 'INTERNAL_ERROR' ? r.lifeCycleState : r.resultState,
        message: r.message,
      })),
    });
  }
}

let logger: Logger | undefined;

/** Builds the handler from `TELEMETRY_*` variables; the job id is looked up by name once per cold start. */
export function triggerHandlerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readSecret?: SecretReader,
): TriggerHandler {
  const config = parseTriggerConfig(env);
  let job: Promise<{ jobs: DatabricksJobs; jobId: number }> | undefined;
  const resolve = async (): Promise<{ jobs: DatabricksJobs; jobId: number }> => {
    const credentials = await resolveCredentials(env, readSecret);
    const http = new DatabricksHttp({ host: config.TELEMETRY_DATABRICKS_HOST, credentials, ...TRIGGER_HTTP });
    const jobs = new DatabricksJobs(http);
    const jobId = await jobs.findByName(config.TELEMETRY_DATABRICKS_JOB_NAME);
    if (jobId === undefined) {
      throw new ConfigError(
        `no Databricks job named '${config.TELEMETRY_DATABRICKS_JOB_NAME}': run 'telemetry deploy databricks' first`,
      );
    }
    return { jobs, jobId };
  };
  const loadJob = () => {
    job ??= resolve().catch((error: unknown) => {
      job = undefined; // try again on the next event
      throw error;
    });
    return job;
  };
  logger = new Logger({ serviceName: SERVICE_NAMES.trigger });
  return makeTriggerHandler({
    trigger: async () => {
      const { jobs, jobId } = await loadJob();
      return { start: (token, parameters) => jobs.runNow(jobId, token, parameters) };
    },
    recentRuns: async () => {
      const { jobs, jobId } = await loadJob();
      return jobs.listCompletedRuns(jobId, RECENT_RUNS);
    },
    logger,
    metrics: new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAMES.trigger }),
  });
}

const instance = lambdaInstance(() => triggerHandlerFromEnv());

/** The trigger Lambda (S3 ObjectCreated on `staged/batch-*\/manifest.json` -> Databricks `jobs/run-now`). */
export async function handler(event: S3Event, context?: Context): Promise<TriggerSummary> {
  const trigger = instance();
  // Request id and cold start on every log line of this invocation.
  if (context) logger?.addContext(context);
  return trigger(event);
}
