import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { createDatabricksSink } from '../compose/createDatabricksSink.js';
import { lambdaInstance } from '../compose/lambdaInstance.js';
import { METRICS_NAMESPACE, PROCESS_METRICS, SERVICE_NAMES } from '../config/metrics.js';
import { parseProcessConfig } from '../config/processConfig.js';
import { errorMessage } from '../core/errors.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { emptyProcessSummary, type ProcessSummary, reconciles } from './ProcessSummary.js';
import { pendingRaw } from './pipelineStatus.js';
import { acquireLease, LEASE_TTL_MS, type LeaseStore, leaseKey } from './processLease.js';
import { processPending } from './processPending.js';

/** The part of the Lambda context the handler needs. */
export interface DeadlineContext {
  getRemainingTimeInMillis(): number;
  /** Lambda's request id: the lease's owner (a random id elsewhere). */
  readonly awsRequestId?: string;
}

export interface ProcessHandlerDeps {
  readonly store: ObjectStore;
  /** Opens the table sink for one invocation (closed at its end). */
  readonly createSink: () => Promise<TableSink>;
  readonly rawPrefix: string;
  readonly archivePrefix: string;
  readonly quarantinePrefix: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Stop taking new objects once less than this much time is left (default 60 s: one batch must still fit). */
  readonly safetyMarginMs?: number;
  readonly maxEventsPerBatch?: number;
  /** The single-writer lease (its key, and the store that honours conditional writes); omitted in unit tests. */
  readonly lease?: { readonly store: LeaseStore; readonly key: string; readonly ttlMs: number };
}

export type ProcessHandler = (event: unknown, context: DeadlineContext) => Promise<ProcessSummary>;

/**
 * The process Lambda's logic (runs on a schedule): {@link processPending} with the sink the deployment chose,
 * stopping before the deadline so the next run continues. One writer per table: a run first takes the process
 * lease ({@link acquireLease}); a second run started meanwhile stops there and says so.
 *
 * @example
 * const handler = makeProcessHandler({ store, createSink: () => DuckDbSink.open(':memory:'), logger, ...prefixes });
 * const summary = await handler({}, { getRemainingTimeInMillis: () => 900_000 });
 */
export function makeProcessHandler(deps: ProcessHandlerDeps): ProcessHandler {
  const margin = deps.safetyMarginMs ?? 60_000;
  return async (_event, context) => {
    const started = Date.now();
    const lease = deps.lease
      ? await acquireLease(deps.lease.store, deps.lease.key, {
          owner: context.awsRequestId ?? crypto.randomUUID(),
          ttlMs: deps.lease.ttlMs,
        })
      : undefined;
    if (lease?.acquired === false) {
      deps.logger.warn('another process run holds the lease; this run stops without work', {
        heldBy: lease.heldBy.owner,
        expiresAt: new Date(lease.heldBy.expiresAt).toISOString(),
      });
      return { ...emptyProcessSummary(), leaseHeldBy: lease.heldBy.owner };
    }
    try {
      return await run(context, started);
    } finally {
      await lease?.release();
    }
  };

  async function run(context: DeadlineContext, started: number): Promise<ProcessSummary> {
    const sink = await deps.createSink();
    try {
      const summary = await processPending(
        { store: deps.store, sink },
        {
          rawPrefix: deps.rawPrefix,
          archivePrefix: deps.archivePrefix,
          quarantinePrefix: deps.quarantinePrefix,
          ...(deps.maxEventsPerBatch ? { maxEventsPerBatch: deps.maxEventsPerBatch } : {}),
          shouldStop: () => context.getRemainingTimeInMillis() < margin,
        },
      );
      const { columnsAdded, ...counts } = summary;
      deps.logger.info('processed', { ...counts, columnsAdded: columnsAdded.map((c) => c.name) });
      if (!reconciles(summary)) deps.logger.error('counts do not reconcile', { summary });
      const m = deps.metrics;
      if (m) {
        const oldest = await oldestPendingAgeMs(deps.store, deps.rawPrefix, Date.now());
        m.addMetric(PROCESS_METRICS.objectsProcessed, MetricUnit.Count, summary.objects);
        m.addMetric(PROCESS_METRICS.recordsIn, MetricUnit.Count, summary.records);
        m.addMetric(
          PROCESS_METRICS.rowsLoaded,
          MetricUnit.Count,
          summary.inserted + summary.updated + summary.staged,
        );
        m.addMetric(PROCESS_METRICS.rowsDeleted, MetricUnit.Count, summary.deleted);
        m.addMetric(PROCESS_METRICS.quarantined, MetricUnit.Count, summary.quarantined);
        m.addMetric(PROCESS_METRICS.objectsQuarantined, MetricUnit.Count, summary.objectsQuarantined);
        m.addMetric(PROCESS_METRICS.stoppedEarly, MetricUnit.Count, summary.stoppedEarly ? 1 : 0);
        m.addMetric(PROCESS_METRICS.oldestPendingAgeMs, MetricUnit.Milliseconds, oldest);
        m.addMetric(PROCESS_METRICS.duration, MetricUnit.Milliseconds, Date.now() - started);
      }
      return summary;
    } catch (error) {
      deps.logger.error('process run failed; the next scheduled run continues', {
        error: errorMessage(error),
      });
      throw error;
    } finally {
      deps.metrics?.publishStoredMetrics();
      await sink.close();
    }
  }
}

/** The process lag: age of the oldest raw object still waiting (0 when none is). */
export async function oldestPendingAgeMs(
  store: ObjectStore,
  rawPrefix: string,
  now: number,
): Promise<number> {
  const { oldestAt = now } = await pendingRaw(store, rawPrefix);
  return Math.max(0, now - oldestAt);
}

/** Builds the handler from `TELEMETRY_*` variables: S3 store, Databricks sink (throws a ConfigError if invalid). */
export function processHandlerFromEnv(env: NodeJS.ProcessEnv = process.env): ProcessHandler {
  const config = parseProcessConfig(env);
  const log = new Logger({ serviceName: SERVICE_NAMES.process });
  logger = log;
  const store = new S3ObjectStore({
    bucket: config.TELEMETRY_BUCKET,
    endpoint: config.TELEMETRY_S3_ENDPOINT,
  });
  return makeProcessHandler({
    store,
    createSink: () => createDatabricksSink({ store, stagedPrefix: config.TELEMETRY_STAGED_PREFIX, env }),
    rawPrefix: config.TELEMETRY_RAW_PREFIX,
    archivePrefix: config.TELEMETRY_ARCHIVE_PREFIX,
    quarantinePrefix: config.TELEMETRY_QUARANTINE_PREFIX,
    // A run never outlives the function's timeout (15 min at most): after that a lease is stale.
    lease: { store, key: leaseKey(config.TELEMETRY_STAGED_PREFIX), ttlMs: LEASE_TTL_MS },
    logger: log,
    metrics: new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAMES.process }),
  });
}

let logger: Logger | undefined;

const instance = lambdaInstance(() => processHandlerFromEnv());

/** The process Lambda (EventBridge schedule). Logic: {@link makeProcessHandler}. */
export async function handler(event: unknown, context: DeadlineContext): Promise<ProcessSummary> {
  const run = instance();
  // Request id and cold start on every log line of this invocation.
  logger?.addContext(context as unknown as Parameters<Logger['addContext']>[0]);
  return run(event, context);
}
