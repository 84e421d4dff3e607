import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createDatabricksSink } from '../adapters/databricks/createDatabricksSink.js';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { parseProcessConfig } from '../config/processConfig.js';
import { errorMessage } from '../core/errors.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { type ProcessSummary, reconciles } from './ProcessSummary.js';
import { processPending } from './processPending.js';

/** The part of the Lambda context the handler needs. */
export interface DeadlineContext {
  getRemainingTimeInMillis(): number;
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
}

export type ProcessHandler = (event: unknown, context: DeadlineContext) => Promise<ProcessSummary>;

/**
 * The process Lambda's logic (runs on a schedule): {@link processPending} with the sink the deployment chose,
 * stopping before the deadline so the next run continues. One writer per table: the function runs with reserved
 * concurrency 1 (docs/local-aws.md shows what happens when two runs overlap anyway).
 *
 * @example
 * const handler = makeProcessHandler({ store, createSink: () => DuckDbSink.open(':memory:'), logger, ...prefixes });
 * const summary = await handler({}, { getRemainingTimeInMillis: () => 900_000 });
 */
export function makeProcessHandler(deps: ProcessHandlerDeps): ProcessHandler {
  const margin = deps.safetyMarginMs ?? 60_000;
  return async (_event, context) => {
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
        m.addMetric('objects', MetricUnit.Count, summary.objects);
        m.addMetric('records', MetricUnit.Count, summary.records);
        m.addMetric('rowsWritten', MetricUnit.Count, summary.inserted + summary.updated);
        m.addMetric('deleted', MetricUnit.Count, summary.deleted);
        m.addMetric('quarantined', MetricUnit.Count, summary.quarantined);
        m.addMetric('objectsQuarantined', MetricUnit.Count, summary.objectsQuarantined);
        m.addMetric('stoppedEarly', MetricUnit.Count, summary.stoppedEarly ? 1 : 0);
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
  };
}

/** Builds the handler from `TELEMETRY_*` variables: S3 store, Databricks sink (throws a ConfigError if invalid). */
export function processHandlerFromEnv(env: NodeJS.ProcessEnv = process.env): ProcessHandler {
  const config = parseProcessConfig(env);
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
    logger: new Logger({ serviceName: 'telemetry-process' }),
    metrics: new PowertoolsMetrics({ namespace: 'Telemetry', serviceName: 'telemetry-process' }),
  });
}

// Cold start in Lambda: validate config once, before the first event; elsewhere importing has no side effects.
let instance: ProcessHandler | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? processHandlerFromEnv()
  : undefined;

/** The process Lambda (EventBridge schedule). Logic: {@link makeProcessHandler}. */
export async function handler(event: unknown, context: DeadlineContext): Promise<ProcessSummary> {
  instance ??= processHandlerFromEnv();
  return instance(event, context);
}
