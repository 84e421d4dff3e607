import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { infraConfig } from '../../infra/lib/infraConfig.js';
import { statementDeadlineSeconds } from '../../infra/lib/TelemetryStack.js';
import { stagedBatchesPrefix } from '../../infra/lib/TelemetryStorage.js';
import { batchFolder } from '../../src/adapters/databricks/StagedManifest.js';
import { triggerRetryBudgetSeconds } from '../../src/config/triggerConfig.js';
import { leaseKey } from '../../src/process/processLease.js';
import { FAILED_BATCHES_PREFIX, REPLAYED_PREFIX } from '../../src/replay/replayFailedRecords.js';
import { synthTelemetryStack, testConfig } from './synthTelemetryStack.js';
import {
  type CfnResource,
  flat,
  functionNamed,
  grants,
  propsOf,
  resourcesOfType,
  statementsOfFunction,
} from './templateQueries.js';

type Props = Record<string, unknown>;
const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function alarm(template: Template, suffix: string): Props {
  const found = resourcesOfType(template, 'AWS::CloudWatch::Alarm').find(
    ([, a]) => a.Properties?.AlarmName === `chargeminder-telemetry-${suffix}`,
  );
  if (!found) throw new Error(`no alarm ${suffix}`);
  return propsOf(found[1]);
}

function dataRules(template: Template): Props[] {
  const [, data] =
    resourcesOfType(template, 'AWS::S3::Bucket').find(([, b]) => b.Properties?.BucketName !== undefined) ??
    [];
  return (propsOf(data).LifecycleConfiguration as { Rules: Props[] }).Rules;
}

describe('deploy readiness (issue 11)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthTelemetryStack(testConfig()).template;
  });

  test('1. CloudWatch may publish to the alarm topic (this account, these alarms), over TLS only', () => {
    const [, policy] = resourcesOfType(template, 'AWS::SNS::TopicPolicy')[0] ?? [];
    const statements = (propsOf(policy).PolicyDocument as { Statement: Props[] }).Statement;
    const allow = statements.find((s) => s.Effect === 'Allow');
    expect(allow).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    const condition = allow?.Condition as { ArnLike?: Record<string, unknown> } | undefined;
    const arnLike = condition?.ArnLike?.['aws:SourceArn'];
    expect(flat(arnLike)).toBe(
      'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:chargeminder-telemetry-*',
    );
    expect(statements.find((s) => s.Effect === 'Deny')).toMatchObject({
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  test('2. reserved concurrency is off by default and follows the config when set', () => {
    const [, fn] = functionNamed(template, 'chargeminder-telemetry-process');
    expect(fn.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    const t = synthTelemetryStack(testConfig({ process: { reservedConcurrency: 1 } })).template;
    expect(
      functionNamed(t, 'chargeminder-telemetry-process')[1].Properties?.ReservedConcurrentExecutions,
    ).toBe(1);
  });

  test('3+4. no good record is pushed out: retries and age unlimited (-1), bisect on; LATEST possible', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
    });
    const t = synthTelemetryStack(testConfig({ capture: { startingPosition: 'LATEST' } })).template;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'LATEST' });
    expect(infraConfig.shape.capture.safeParse({ maxRecordAgeSeconds: 30 }).success).toBe(false);
  });

  test('3. after telemetry replay failed-records: replayed objects expire in a day and are not counted as arrivals', () => {
    // Prepare: the bucket without a name (the data bucket has one) is the failed-records bucket.
    const [, failed] =
      resourcesOfType(template, 'AWS::S3::Bucket').find(
        ([, b]) =>
          b.Properties?.BucketName === undefined &&
          JSON.stringify(b.Properties?.LifecycleConfiguration).includes('expire-failed-records'),
      ) ?? [];

    // Act
    const props = propsOf(failed);
    const rules = (props.LifecycleConfiguration as { Rules: Props[] }).Rules;

    // Assess
    expect(rules.find((r) => r.Id === 'expire-replayed')).toMatchObject({
      Prefix: REPLAYED_PREFIX,
      ExpirationInDays: 1,
    });
    expect(props.MetricsConfigurations).toEqual([{ Id: 'FailedRecords', Prefix: FAILED_BATCHES_PREFIX }]);
    expect(REPLAYED_PREFIX.startsWith(FAILED_BATCHES_PREFIX)).toBe(false);
  });

  test('4. first deploy: process.enabled=false deploys the schedule DISABLED and its lag alarm quiet', () => {
    const t = synthTelemetryStack(testConfig({ process: { enabled: false } })).template;
    t.hasResourceProperties('AWS::Events::Rule', { State: 'DISABLED' });
    expect(alarm(t, 'process-lag').TreatMissingData).toBe('notBreaching');
    expect(alarm(template, 'process-lag').TreatMissingData).toBe('breaching');
  });

  test('6. staged expiry reaches batch folders only, never the registry or the lease', () => {
    const staged = dataRules(template).find((r) => r.Id === 'staged');
    const rulePrefix = String(staged?.Prefix);
    expect(rulePrefix).toBe(stagedBatchesPrefix('staged/'));
    // The real batch layout falls under the rule; the other keys under staged/ do not.
    expect(`${batchFolder('staged/', 'b1')}part-0.parquet`.startsWith(rulePrefix)).toBe(true);
    expect('staged/_columns.json'.startsWith(rulePrefix)).toBe(false);
    expect(leaseKey('staged/').startsWith(rulePrefix)).toBe(false);
  });

  test('6. no Glacier IR transition by default; when set, only after 90 days and above 128 KB', () => {
    expect(dataRules(template).find((r) => r.Id === 'archive')).not.toHaveProperty('Transitions');
    expect(infraConfig.shape.bucket.safeParse({ archiveGlacierAfterDays: 30 }).success).toBe(false);
    const t = synthTelemetryStack(testConfig({ bucket: { archiveGlacierAfterDays: 120 } })).template;
    expect(dataRules(t).find((r) => r.Id === 'archive')).toMatchObject({
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 120 }],
      ObjectSizeGreaterThan: 131072,
    });
  });

  test('6. deleted raw versions go after a day and expired delete markers are removed', () => {
    const rules = dataRules(template);
    expect(rules.find((r) => r.Id === 'raw-pending')).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
    expect(rules.find((r) => r.Id === 'delete-markers')).toMatchObject({ ExpiredObjectDeleteMarker: true });
  });

  test('7. the trigger timeout covers its own Databricks retries; statements end before the process timeout', () => {
    const [, trigger] = functionNamed(template, 'chargeminder-telemetry-trigger');
    expect(Number(trigger.Properties?.Timeout)).toBeGreaterThan(triggerRetryBudgetSeconds);
    const [, process] = functionNamed(template, 'chargeminder-telemetry-process');
    const env = (propsOf(process).Environment as { Variables: Record<string, string> }).Variables;
    const deadline = Number(env.TELEMETRY_DATABRICKS_STATEMENT_DEADLINE_SECONDS);
    expect(deadline).toBe(statementDeadlineSeconds(testConfig()));
    expect(deadline).toBeLessThan(Number(process.Properties?.Timeout) - 60);
  });

  test('8. a customer-key table: capture may decrypt with that key, through DynamoDB only', () => {
    expect(
      grants(statementsOfFunction(template, 'chargeminder-telemetry-capture'))['kms:Decrypt'],
    ).toBeUndefined();
    const t = synthTelemetryStack(testConfig({ table: { kmsKeyArn: KEY_ARN } })).template;
    const statement = statementsOfFunction(t, 'chargeminder-telemetry-capture').find(
      (s) => s.Action === 'kms:Decrypt',
    );
    expect(statement?.Resource).toBe(KEY_ARN);
    expect(JSON.stringify(statement?.Condition)).toContain('kms:ViaService');
    expect(JSON.stringify(statement?.Condition)).toContain('"dynamodb."');
  });

  test('8. alarms on dropped stream records, destination delivery failures and dropped async events', () => {
    const [mappingId] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')[0] as [
      string,
      CfnResource,
    ];
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MetricsConfig: { Metrics: ['EventCount'] },
    });
    expect(alarm(template, 'capture-dropped-records')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'DroppedEventCount',
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: mappingId } }],
      Threshold: 0,
    });
    for (const fn of ['capture', 'trigger'])
      expect(alarm(template, `${fn}-destination-failures`).MetricName).toBe('DestinationDeliveryFailures');
    expect(alarm(template, 'trigger-events-dropped').MetricName).toBe('AsyncEventsDropped');
  });

  test('8. the daily object-count alarm cannot miss its one late datapoint', () => {
    expect(alarm(template, 'failed-records-not-empty')).toMatchObject({
      Period: 86_400,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
    });
  });

  test('8. ARNs in another region than the deployment are refused', () => {
    const base = testConfig();
    const parsed = infraConfig.safeParse({
      ...base,
      region: 'eu-central-1',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['table.streamArn', 'databricks.secretArn']),
    );
    const mixed = infraConfig.safeParse({
      ...base,
      databricks: {
        ...base.databricks,
        secretArn: base.databricks.secretArn.replace('eu-west-1', 'us-east-1'),
      },
    });
    expect(mixed.error?.issues[0]?.message).toMatch(/us-east-1, the deployment in eu-west-1/);
    expect(infraConfig.safeParse({ ...base, region: 'eu-west-1' }).success).toBe(true);
  });

  test('8. process may not delete staged objects (only its own lease)', () => {
    const process = grants(statementsOfFunction(template, 'chargeminder-telemetry-process'));
    expect(process['s3:DeleteObject']?.filter((r) => r.includes('/staged/'))).toEqual([
      expect.stringMatching(/\/staged\/_leases\/process\.json$/),
    ]);
  });
});
