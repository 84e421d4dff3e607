import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The pipeline's own metrics, as the handlers emit them with Powertools (EMF):
 * `new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAMES[stage] })` adds the dimension
 * `service`, which the alarms and the dashboard select on (Powertools' only default dimension).
 */
export const METRICS_NAMESPACE = 'ChargeMinderTelemetry';

export const PIPELINE_METRICS = {
  capture: ['RecordsIn', 'BytesWritten', 'ObjectsWritten', 'IteratorLagMs'],
  process: ['RecordsIn', 'RowsLoaded', 'Quarantined', 'OldestPendingAgeMs', 'Duration'],
} as const;

export type PipelineService = keyof typeof PIPELINE_METRICS;

/** The Powertools `serviceName` (and so the `service` dimension) of each stage's handler. */
export const SERVICE_NAMES: Readonly<Record<PipelineService, string>> = {
  capture: 'telemetry-capture',
  process: 'telemetry-process',
};
export type PipelineMetricName<S extends PipelineService> = (typeof PIPELINE_METRICS)[S][number];

/** One pipeline metric, dimensioned by `service` (the Powertools default dimension). */
export function pipelineMetric<S extends PipelineService>(
  service: S,
  metricName: PipelineMetricName<S>,
  options: MetricOptions = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAMES[service] },
    period: Duration.minutes(5),
    ...options,
  });
}
