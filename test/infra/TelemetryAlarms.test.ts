import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { METRICS_NAMESPACE, PIPELINE_METRICS } from '../../infra/lib/pipelineMetrics.js';
import { scheduleMinutes } from '../../infra/lib/TelemetryAlarms.js';
import { synthTelemetryStack, testConfig } from './synthTelemetryStack.js';
import { type CfnResource, flat, functionNamed, resourcesOfType } from './templateQueries.js';

type Props = Record<string, unknown>;

function alarmsByName(template: Template): Map<string, Props> {
  return new Map(
    resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]: [string, CfnResource]) => [
      String(a.Properties?.AlarmName),
      a.Properties ?? {},
    ]),
  );
}

describe('alarms and dashboard', () => {
  let template: Template;
  let alarms: Map<string, Props>;
  beforeAll(() => {
    template = synthTelemetryStack(testConfig({ alarms: { email: 'oncall@example.com' } })).template;
    alarms = alarmsByName(template);
  });

  test('every failure mode has an alarm', () => {
    expect([...alarms.keys()].sort()).toEqual(
      [
        'capture-destination-failures',
        'capture-dropped-records',
        'capture-errors',
        'capture-iterator-age',
        'capture-throttles',
        'failed-records-arrived',
        'failed-records-not-empty',
        'load-run-failures',
        'process-errors',
        'process-lag',
        'process-throttles',
        'quarantine-growth',
        'trigger-destination-failures',
        'trigger-errors',
        'trigger-events-dropped',
        'trigger-throttles',
      ].map((n) => `chargeminder-telemetry-${n}`),
    );
  });

  test('thresholds are the sensible ones from the config', () => {
    const [captureId] = functionNamed(template, 'chargeminder-telemetry-capture');
    // Prepare / Act in beforeAll; Assess each alarm's metric, statistic and threshold.
    expect(alarms.get('chargeminder-telemetry-capture-iterator-age')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: captureId } }],
      Statistic: 'Maximum',
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const fn of ['capture', 'process', 'trigger']) {
      expect(alarms.get(`chargeminder-telemetry-${fn}-errors`)).toMatchObject({
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 0,
        Period: 300,
      });
      expect(alarms.get(`chargeminder-telemetry-${fn}-throttles`)).toMatchObject({
        MetricName: 'Throttles',
        Threshold: 0,
      });
    }
    expect(alarms.get('chargeminder-telemetry-process-lag')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'OldestPendingAgeMs',
      Dimensions: [{ Name: 'service', Value: 'telemetry-process' }],
      Statistic: 'Maximum',
      Threshold: 30 * 60_000,
      EvaluationPeriods: 2,
      // A process function that stops reporting is as bad as one that falls behind.
      TreatMissingData: 'breaching',
    });
    expect(alarms.get('chargeminder-telemetry-quarantine-growth')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'Quarantined',
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 10,
    });
    // Job mode: a Databricks job that fails every run is seen on the AWS side (the trigger's gauge).
    expect(alarms.get('chargeminder-telemetry-load-run-failures')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'LoadRunFailures',
      Dimensions: [{ Name: 'service', Value: 'telemetry-trigger' }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarms.get('chargeminder-telemetry-failed-records-arrived')).toMatchObject({
      Namespace: 'AWS/S3',
      MetricName: 'PutRequests',
      Threshold: 0,
    });
    expect(alarms.get('chargeminder-telemetry-failed-records-not-empty')).toMatchObject({
      Namespace: 'AWS/S3',
      MetricName: 'NumberOfObjects',
      Period: 86_400,
      Threshold: 0,
    });
  });

  test('every alarm notifies the alarm topic, which has the configured e-mail subscription', () => {
    const [topicId] = resourcesOfType(template, 'AWS::SNS::Topic')[0] ?? [];
    for (const [name, alarm] of alarms) {
      expect(alarm.AlarmActions, name).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions, name).toEqual([{ Ref: topicId }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId },
    });
  });

  test('the dashboard shows every pipeline metric the handlers emit', () => {
    const [, dashboard] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard')[0] ?? [];
    const body = flat(dashboard?.Properties?.DashboardBody);
    for (const [service, names] of Object.entries(PIPELINE_METRICS)) {
      for (const name of names) {
        expect(body, `${service} ${name}`).toContain(
          `"${METRICS_NAMESPACE}","${name}","service","telemetry-${service}"`,
        );
      }
    }
  });

  test.each([
    ['rate(5 minutes)', 5],
    ['rate(1 minute)', 1],
    ['rate(2 hours)', 120],
    ['rate(1 day)', 1440],
    ['cron(0/10 * * * ? *)', 60],
  ])('schedule %s runs every %i minutes (process-lag period)', (schedule, minutes) => {
    expect(scheduleMinutes(schedule)).toBe(minutes);
  });

  test('a slow schedule widens the process-lag period so a quiet period is not missing data', () => {
    const t = synthTelemetryStack(testConfig({ process: { schedule: 'rate(15 minutes)' } })).template;
    expect(alarmsByName(t).get('chargeminder-telemetry-process-lag')).toMatchObject({ Period: 900 });
  });
});
