import { Aws, Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { EventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { InfraConfig } from './infraConfig.js';
import { pipelineMetric } from './pipelineMetrics.js';
import { FAILED_RECORDS_METRICS_FILTER } from './TelemetryStorage.js';

export interface TelemetryAlarmsProps {
  readonly config: InfraConfig;
  readonly capture: IFunction;
  readonly process: IFunction;
  readonly trigger?: IFunction;
  /** The capture stream mapping (its EventCount metrics are enabled). */
  readonly captureMapping?: EventSourceMapping;
  readonly failedRecords: IBucket;
}

/** Minutes between two process runs for `rate(...)` schedules; cron schedules assume hourly at most. */
export function scheduleMinutes(schedule: string): number {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!m) return 60;
  const n = Number(m[1]);
  return m[2] === 'minute' ? n : m[2] === 'hour' ? n * 60 : n * 1440;
}

interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData?: TreatMissingData;
}

/**
 * The SNS alarm topic and every alarm: stream iterator age, function errors and throttles, failed records
 * arriving in (and staying in) the failed-records bucket, process lag, quarantine growth.
 */
export class TelemetryAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: TelemetryAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const prefix = config.namePrefix;
    this.topic = new Topic(this, 'Topic', { topicName: `${prefix}-alarms`, enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only, no pipeline data; CloudWatch cannot publish ' +
        'to a topic encrypted with the AWS-managed SNS key, and a customer key is not worth it for this.',
    });
    // A topic policy replaces the default one: without this Allow, CloudWatch may not publish and no alarm
    // reaches anyone. Scoped to this account's alarms of this deployment.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${prefix}-*`,
          },
        },
      }),
    );
    if (config.alarms.email !== undefined)
      this.topic.addSubscription(new EmailSubscription(config.alarms.email));

    const add = (spec: AlarmSpec) => {
      const alarm = new Alarm(this, spec.id, {
        alarmName: `${prefix}-${spec.id}`,
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        ...(spec.datapointsToAlarm ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
      this.alarms.push(alarm);
    };
    const five = Duration.minutes(5);

    add({
      id: 'capture-iterator-age',
      description: `Capture is more than ${config.alarms.iteratorAgeSeconds} s behind the DynamoDB stream.`,
      metric: props.capture.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: five }),
      threshold: config.alarms.iteratorAgeSeconds * 1000,
    });
    const functions: [string, IFunction | undefined][] = [
      ['capture', props.capture],
      ['process', props.process],
      ['trigger', props.trigger],
    ];
    for (const [name, fn] of functions) {
      if (fn === undefined) continue;
      add({
        id: `${name}-errors`,
        description: `The ${name} function failed at least once in 5 minutes (see its log group).`,
        metric: fn.metricErrors({ statistic: Stats.SUM, period: five }),
        threshold: 0,
      });
      add({
        id: `${name}-throttles`,
        description: `The ${name} function was throttled at least once in 5 minutes.`,
        metric: fn.metricThrottles({ statistic: Stats.SUM, period: five }),
        threshold: 0,
      });
    }
    const mapping = props.captureMapping;
    if (mapping !== undefined) {
      const esm = (metricName: string) =>
        new Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { EventSourceMappingUUID: mapping.eventSourceMappingId },
          statistic: Stats.SUM,
          period: five,
        });
      add({
        id: 'capture-dropped-records',
        description:
          'The stream mapping dropped records (expired or retries exhausted) or could not hand them to the ' +
          'failed-records bucket: replay them with telemetry replay failed-records while the stream keeps them.',
        metric: esm('DroppedEventCount'),
        threshold: 0,
      });
    }
    // Lambda could not write a failed batch or event to its on-failure destination: those records are gone.
    const destinationFailures: [string, IFunction | undefined][] = [
      ['capture', props.capture],
      ['trigger', props.trigger],
    ];
    for (const [name, fn] of destinationFailures) {
      if (fn === undefined) continue;
      add({
        id: `${name}-destination-failures`,
        description: `Lambda could not deliver a failed ${name} record to the failed-records bucket.`,
        metric: fn.metric('DestinationDeliveryFailures', { statistic: Stats.SUM, period: five }),
        threshold: 0,
      });
    }
    if (props.trigger !== undefined)
      add({
        id: 'trigger-events-dropped',
        description:
          'Manifest events were dropped before the trigger ran them (age or retries): start the job.',
        metric: props.trigger.metric('AsyncEventsDropped', { statistic: Stats.SUM, period: five }),
        threshold: 0,
      });
    if (props.trigger !== undefined)
      add({
        id: 'load-run-failures',
        description:
          "A Databricks load run failed (FAILED, TIMEDOUT or INTERNAL_ERROR among the job's last 10 runs): its " +
          'batch is staged but not in the table. Read the trigger log line "load runs failed", fix the cause, ' +
          'repair the run in Databricks.',
        // A gauge each trigger invocation publishes: Maximum, so repeated checks of the same runs count once.
        metric: pipelineMetric('trigger', 'LoadRunFailures', { statistic: Stats.MAXIMUM, period: five }),
        threshold: 0,
      });
    const bucketDims = { BucketName: props.failedRecords.bucketName };
    add({
      id: 'failed-records-arrived',
      description:
        'Records were written to the failed-records bucket (a stream batch or trigger event gave up).',
      metric: new Metric({
        namespace: 'AWS/S3',
        metricName: 'PutRequests',
        dimensionsMap: { ...bucketDims, FilterId: FAILED_RECORDS_METRICS_FILTER },
        statistic: Stats.SUM,
        period: five,
      }),
      threshold: 0,
    });
    add({
      id: 'failed-records-not-empty',
      description: 'The failed-records bucket is not empty: inspect, replay, then delete what was handled.',
      metric: new Metric({
        namespace: 'AWS/S3',
        metricName: 'NumberOfObjects',
        dimensionsMap: { ...bucketDims, StorageType: 'AllStorageTypes' },
        statistic: Stats.MAXIMUM,
        period: Duration.days(1),
      }),
      threshold: 0,
      // Storage metrics arrive once a day, late: look back 2 days so the one datapoint is never missed.
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
    });
    // A process run every N minutes reports its lag each run; no report at all means it stopped running.
    const lagPeriod = Duration.minutes(Math.max(5, scheduleMinutes(config.process.schedule)));
    add({
      id: 'process-lag',
      description:
        `The oldest pending raw object is older than ${config.alarms.processLagMinutes} minutes, ` +
        'or the process function stopped reporting.',
      metric: pipelineMetric('process', 'OldestPendingAgeMs', {
        statistic: Stats.MAXIMUM,
        period: lagPeriod,
      }),
      threshold: config.alarms.processLagMinutes * 60_000,
      evaluationPeriods: 2,
      // A disabled schedule (first deploy) reports nothing by design.
      treatMissingData: config.process.enabled ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
    });
    add({
      id: 'quarantine-growth',
      description: `More than ${config.alarms.quarantinedPerHour} records were quarantined in one hour.`,
      metric: pipelineMetric('process', 'Quarantined', { statistic: Stats.SUM, period: Duration.hours(1) }),
      threshold: config.alarms.quarantinedPerHour,
    });
  }
}
