import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import {
  CAPTURE_METRICS,
  SERVICE_NAMES as HANDLER_SERVICES,
  METRICS_NAMESPACE,
  PROCESS_METRICS,
  TRIGGER_METRICS,
} from '../../src/config/metrics.js';

/**
 * The pipeline's own metrics, as the handlers emit them with Powertools (EMF):
 * `new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAMES[stage] })` adds the dimension
 * `service`, which the alarms and the dashboard select on (Powertools' only default dimension).
 */
export { METRICS_NAMESPACE };

/** The metrics each stage's handler emits, from the one contract in src/config/metrics.ts. */
export const PIPELINE_METRICS = {
  capture: Object.values(CAPTURE_METRICS),
  process: Object.values(PROCESS_METRICS),
  /** Job mode only. */
  trigger: Object.values(TRIGGER_METRICS),
} as const;

export type PipelineService = keyof typeof PIPELINE_METRICS;

/** The Powertools `serviceName` (and so the `service` dimension) of each stage's handler. */
export const SERVICE_NAMES: Readonly<Record<PipelineService, string>> = {
  capture: HANDLER_SERVICES.capture,
  process: HANDLER_SERVICES.process,
  trigger: HANDLER_SERVICES.trigger,
};
type MetricsOf = {
  capture: typeof CAPTURE_METRICS;
  process: typeof PROCESS_METRICS;
  trigger: typeof TRIGGER_METRICS;
};
export type PipelineMetricName<S extends PipelineService> = MetricsOf[S][keyof MetricsOf[S]] & string;

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
