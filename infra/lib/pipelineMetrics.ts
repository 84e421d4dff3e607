import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The pipeline's own metrics, as the handlers emit them with Powertools (EMF):
 * `new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'capture' | 'process' })` adds the
 * dimension `service`, which the alarms and the dashboard select on.
 */
export const METRICS_NAMESPACE = 'ChargeMinderTelemetry';

export const PIPELINE_METRICS = {
  capture: ['RecordsIn', 'BytesWritten', 'ObjectsWritten', 'IteratorLagMs'],
  process: ['RecordsIn', 'RowsLoaded', 'Quarantined', 'OldestPendingAgeMs', 'Duration'],
} as const;

export type PipelineService = keyof typeof PIPELINE_METRICS;
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
    dimensionsMap: { service },
    period: Duration.minutes(5),
    ...options,
  });
}
