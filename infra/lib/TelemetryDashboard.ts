import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type Metric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type PipelineMetricName, type PipelineService, pipelineMetric } from './pipelineMetrics.js';

export interface TelemetryDashboardProps {
  readonly dashboardName: string;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly alarms: readonly Alarm[];
}

function graph(title: string, left: IMetric[], width = 8): GraphWidget {
  return new GraphWidget({ title, left, width, height: 6 });
}

/** One page for the pipeline: its own metrics first, then the Lambda health behind them, then alarm states. */
export class TelemetryDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: TelemetryDashboardProps) {
    super(scope, id);
    const sum = <S extends PipelineService>(service: S, name: PipelineMetricName<S>) =>
      pipelineMetric(service, name, { statistic: Stats.SUM, label: `${service} ${name}` });
    const max = <S extends PipelineService>(service: S, name: PipelineMetricName<S>) =>
      pipelineMetric(service, name, { statistic: Stats.MAXIMUM, label: `${service} ${name} (max)` });
    const fns = Object.entries(props.functions);
    const perFunction = (title: string, metric: (fn: IFunction) => Metric) =>
      graph(
        title,
        fns.map(([name, fn]) => metric(fn).with({ label: name })),
      );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## Telemetry pipeline\nDynamoDB stream → capture → S3 raw → process → staged Parquet → Databricks. ' +
          'Runbook: docs/deploy.md ("Where to look when something fails").',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Records in (capture, process)', [sum('capture', 'RecordsIn'), sum('process', 'RecordsIn')]),
      graph('Rows loaded, deleted', [sum('process', 'RowsLoaded'), sum('process', 'RowsDeleted')]),
      graph('Quarantined (records, whole objects, capture rejects)', [
        sum('process', 'Quarantined'),
        sum('process', 'ObjectsQuarantined'),
        sum('capture', 'RecordsRejected'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Lag (ms): stream iterator, oldest pending raw object', [
        max('capture', 'IteratorLagMs'),
        max('process', 'OldestPendingAgeMs'),
      ]),
      graph('Process runs: duration (ms), objects, stopped at deadline', [
        max('process', 'Duration'),
        sum('process', 'ObjectsProcessed'),
        sum('process', 'StoppedEarly'),
      ]),
      graph('Capture output', [sum('capture', 'ObjectsWritten'), sum('capture', 'BytesWritten')]),
    );
    if (props.functions.trigger !== undefined) {
      this.dashboard.addWidgets(
        graph(
          'Databricks load runs: started, not started, failed among the last 10',
          [
            sum('trigger', 'LoadRunsStarted'),
            sum('trigger', 'LoadRunStartFailures'),
            max('trigger', 'LoadRunFailures'),
          ],
          24,
        ),
      );
    }
    this.dashboard.addWidgets(
      perFunction('Lambda errors', (fn) => fn.metricErrors({ statistic: Stats.SUM })),
      perFunction('Lambda throttles', (fn) => fn.metricThrottles({ statistic: Stats.SUM })),
      perFunction('Lambda duration p99 (ms)', (fn) => fn.metricDuration({ statistic: Stats.p(99) })),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
    );
  }
}
