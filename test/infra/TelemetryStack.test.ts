import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import type { z } from 'zod';
import { infraConfig } from '../../infra/lib/infraConfig.js';
import { HANDLER_ENTRIES } from '../../infra/lib/TelemetryStack.js';
import { captureEnv } from '../../src/config/captureConfig.js';
import { envKeys } from '../../src/config/parseEnv.js';
import { processEnv } from '../../src/config/processConfig.js';
import { triggerEnv } from '../../src/config/triggerConfig.js';
import { synthTelemetryStack, testConfig } from './synthTelemetryStack.js';
import {
  asArray,
  type CfnResource,
  flat,
  functionNamed,
  grants,
  policyStatements,
  propsOf,
  resourcesOfType,
  statementsOfFunction,
} from './templateQueries.js';

const DATA_BUCKET = 'chargeminder-telemetry-<AWS::AccountId>-<AWS::Region>';
const dataObjects = (prefix: string) => `arn:<AWS::Partition>:s3:::${DATA_BUCKET}/${prefix}*`;
const STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:111111111111:table/chargeminder-car-telemetry/stream/2025-01-01T00:00:00.000';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:chargeminder/databricks-AbCdEf';

/** The keys a parser cannot do without (no default, not optional). */
function requiredKeys(schema: z.ZodObject): string[] {
  return envKeys(schema).filter((key) => !schema.shape[key]?.safeParse(undefined).success);
}

function environmentOf(template: Template, functionName: string): Record<string, string> {
  const [, fn] = functionNamed(template, functionName);
  const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables;
  return Object.fromEntries(Object.entries(variables ?? {}).map(([k, v]) => [k, flat(v)]));
}

describe('TelemetryStack (imported table, job load mode)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthTelemetryStack(testConfig()).template;
  });

  test('capture reads the stream from TRIM_HORIZON, retrying until the stream trims a record, with bisect', () => {
    // Prepare / Act: synthesized in beforeAll. Assess:
    const [captureId] = functionNamed(template, 'chargeminder-telemetry-capture');
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: captureId },
      EventSourceArn: STREAM_ARN,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
      ParallelizationFactor: 1,
    });
  });

  test('failed stream batches go to the failed-records bucket (which keeps the records themselves)', () => {
    const [, mapping] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')[0] ?? [];
    const destination = flat(
      (propsOf(mapping).DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination,
    );
    expect(destination).toMatch(/^<StorageFailedRecords[0-9A-F]+\.Arn>$/);
    const bucketId = destination.slice(1, -'.Arn>'.length);
    expect(template.toJSON().Resources[bucketId].Type).toBe('AWS::S3::Bucket');
  });

  test('event source settings follow the config', () => {
    const config = testConfig({
      capture: { batchSize: 100, maxBatchingWindowSeconds: 0, retryAttempts: 2, maxRecordAgeSeconds: 3600 },
    });
    const t = synthTelemetryStack(config).template;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 3600,
    });
  });

  test('every bucket blocks public access, enforces bucket-owner ownership, encrypts, and denies non-TLS', () => {
    const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(3);
    for (const [, bucket] of buckets) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties?.OwnershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
      expect(bucket.Properties?.BucketEncryption).toBeDefined();
    }
    const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(3);
    for (const [, policy] of policies) {
      const statements = (propsOf(policy).PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  test('the data bucket is versioned, named from the config, and has one lifecycle rule per prefix', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.anyValue(),
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'raw-pending', Prefix: 'telemetry/', Status: 'Enabled' }),
          Match.objectLike({ Id: 'archive', Prefix: 'archive/telemetry/', Status: 'Enabled' }),
          Match.objectLike({ Id: 'quarantine', Prefix: 'quarantine/telemetry/', ExpirationInDays: 180 }),
          Match.objectLike({ Id: 'staged', Prefix: 'staged/batch-', ExpirationInDays: 14 }),
        ]),
      },
    });
    const [, data] =
      resourcesOfType(template, 'AWS::S3::Bucket').find(([, b]) => b.Properties?.BucketName !== undefined) ??
      [];
    expect(flat(data?.Properties?.BucketName)).toBe(DATA_BUCKET);
    const rules = (propsOf(data).LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    // Pending raw objects must never expire.
    expect(rules.find((r) => r.Id === 'raw-pending')).not.toHaveProperty('ExpirationInDays');
  });

  test('no IAM statement allows a bare "*" resource, and no role uses a managed policy', () => {
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(10);
    for (const { statement } of statements) {
      if (statement.Effect !== 'Allow') continue;
      for (const resource of asArray(statement.Resource).map(flat)) {
        expect(resource, JSON.stringify(statement)).not.toBe('*');
        expect(resource, JSON.stringify(statement)).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
      }
    }
    for (const [, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('data actions name one stream, one secret, or one prefix of one bucket', () => {
    for (const { statement } of policyStatements(template)) {
      for (const action of asArray(statement.Action)) {
        const resources = asArray(statement.Resource).map(flat);
        for (const r of resources) {
          if (action.startsWith('s3:') && action !== 's3:ListBucket') {
            // Object actions: a prefix of the data bucket, the failed-records bucket's objects, or the lease.
            expect(r).toMatch(/^arn:<AWS::Partition>:s3:::[^*/]+\/([^*]*\*|staged\/_leases\/process\.json)$/);
          } else if (action === 's3:ListBucket') {
            expect(r).toMatch(/^arn:<AWS::Partition>:s3:::[^*/]+$/);
          } else if (action.startsWith('dynamodb:')) {
            expect(
              r.startsWith(
                'arn:aws:dynamodb:eu-west-1:111111111111:table/chargeminder-car-telemetry/stream/',
              ),
            ).toBe(true);
          } else if (action.startsWith('secretsmanager:')) {
            expect(r).toBe(SECRET_ARN);
          } else if (action.startsWith('logs:')) {
            expect(r).toMatch(/^<\w+Logs[0-9A-F]+\.Arn>$/);
          }
        }
      }
    }
  });

  test('each function gets exactly the S3 prefixes, stream and secret its stage uses', () => {
    const failed = expect.stringMatching(/^arn:<AWS::Partition>:s3:::<StorageFailedRecords[0-9A-F]+>\/\*$/);
    const failedBucket = expect.stringMatching(/^arn:<AWS::Partition>:s3:::<StorageFailedRecords[0-9A-F]+>$/);
    const capture = grants(statementsOfFunction(template, 'chargeminder-telemetry-capture'));
    expect(capture).toEqual({
      'logs:CreateLogStream': [expect.stringMatching(/^<CaptureLogs/)],
      'logs:PutLogEvents': [expect.stringMatching(/^<CaptureLogs/)],
      'dynamodb:DescribeStream': [STREAM_ARN],
      'dynamodb:GetRecords': [STREAM_ARN],
      'dynamodb:GetShardIterator': [STREAM_ARN],
      'dynamodb:ListStreams': [
        'arn:aws:dynamodb:eu-west-1:111111111111:table/chargeminder-car-telemetry/stream/*',
      ],
      's3:PutObject': [failed, dataObjects('telemetry/')],
      's3:ListBucket': [failedBucket],
    });

    const process = grants(statementsOfFunction(template, 'chargeminder-telemetry-process'));
    expect(process['s3:GetObject']).toEqual([
      dataObjects('archive/telemetry/'),
      dataObjects('staged/'),
      `arn:<AWS::Partition>:s3:::${DATA_BUCKET}/staged/_leases/process.json`,
      dataObjects('telemetry/'),
    ]);
    // Staged objects are never deleted by the process stage; only its lease object is.
    expect(process['s3:DeleteObject']).toEqual([
      `arn:<AWS::Partition>:s3:::${DATA_BUCKET}/staged/_leases/process.json`,
      dataObjects('telemetry/'),
    ]);
    expect(process['s3:PutObject']).toEqual([
      dataObjects('archive/telemetry/'),
      dataObjects('quarantine/telemetry/'),
      dataObjects('staged/'),
      `arn:<AWS::Partition>:s3:::${DATA_BUCKET}/staged/_leases/process.json`,
    ]);
    expect(process['secretsmanager:GetSecretValue']).toEqual([SECRET_ARN]);
    expect(Object.keys(process).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);

    const trigger = grants(statementsOfFunction(template, 'chargeminder-telemetry-trigger'));
    expect(trigger['s3:GetObject']).toBeUndefined();
    expect(trigger['s3:PutObject']).toEqual([failed]);
    expect(trigger['secretsmanager:GetSecretValue']).toEqual([SECRET_ARN]);
  });

  test.each([
    ['capture', captureEnv],
    ['process', processEnv],
    ['trigger', triggerEnv],
  ] as const)('the %s function gets exactly the environment its config parser reads', (name, schema) => {
    const env = environmentOf(template, `chargeminder-telemetry-${name}`);
    const keys = Object.keys(env).sort();
    // Nothing the parser does not read; every key it cannot do without; and the parser accepts the values.
    // NODE_OPTIONS is read by Node itself (the process function's heap cap), not by the parser.
    expect(keys.filter((k) => k !== 'NODE_OPTIONS' && !envKeys(schema).includes(k))).toEqual([]);
    expect(requiredKeys(schema).filter((k) => !keys.includes(k))).toEqual([]);
    expect(schema.safeParse(env).success).toBe(true);
    // On AWS the SDK talks to the real S3 endpoint.
    expect(keys).not.toContain('TELEMETRY_S3_ENDPOINT');
  });

  test('process and trigger know the Databricks coordinates and the secret ARN, never a credential', () => {
    const processEnvironment = environmentOf(template, 'chargeminder-telemetry-process');
    expect(processEnvironment).toMatchObject({
      TELEMETRY_DATABRICKS_HOST: 'https://dbc-00000000-0000.cloud.databricks.com',
      TELEMETRY_DATABRICKS_WAREHOUSE_ID: '0000000000000000',
      TELEMETRY_DATABRICKS_SECRET_ARN: SECRET_ARN,
      TELEMETRY_LOAD_MODE: 'job',
      TELEMETRY_BUCKET: DATA_BUCKET,
    });
    const all = JSON.stringify(template.toJSON());
    expect(all).not.toMatch(/DATABRICKS_TOKEN|CLIENT_SECRET|dapi[0-9a-f]{8}/);
  });

  test('functions run nodejs24.x on arm64 with their own log group and retention', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.map(([, f]) => f.Properties?.FunctionName).sort()).toEqual([
      'chargeminder-telemetry-capture',
      'chargeminder-telemetry-process',
      'chargeminder-telemetry-trigger',
    ]);
    for (const [, fn] of functions) {
      expect(fn.Properties?.Runtime).toBe('nodejs24.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      expect(fn.Properties?.Handler).toBe('index.handler');
      expect(flat((propsOf(fn).LoggingConfig as { LogGroup: unknown }).LogGroup)).toMatch(/Logs/);
    }
    const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(3);
    for (const [, group] of logGroups) expect(group.Properties?.RetentionInDays).toBe(30);
  });

  test('process runs on the schedule without reserved concurrency (the lease is the single writer) or async retries', () => {
    const [processId, fn] = functionNamed(template, 'chargeminder-telemetry-process');
    expect(fn.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [processId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: processId },
      MaximumRetryAttempts: 0,
    });
  });

  test('a staged manifest ObjectCreated invokes the trigger, without a notifications custom resource', () => {
    const [triggerId] = functionNamed(template, 'chargeminder-telemetry-trigger');
    const [dataId, data] =
      resourcesOfType(template, 'AWS::S3::Bucket').find(([, b]) => b.Properties?.BucketName !== undefined) ??
      [];
    expect(data?.Properties?.NotificationConfiguration).toEqual({
      LambdaConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Function: { 'Fn::GetAtt': [triggerId, 'Arn'] },
          Filter: {
            S3Key: {
              Rules: [
                { Name: 'prefix', Value: 'staged/' },
                { Name: 'suffix', Value: 'manifest.json' },
              ],
            },
          },
        },
      ],
    });
    const [permissionId] =
      resourcesOfType(template, 'AWS::Lambda::Permission').find(
        ([, p]) => p.Properties?.Principal === 's3.amazonaws.com',
      ) ?? [];
    expect(permissionId).toBeDefined();
    expect(asArray(data?.DependsOn)).toContain(permissionId);
    expect(dataId).toBeDefined();
    const types = Object.values(template.toJSON().Resources as Record<string, CfnResource>).map(
      (r) => r.Type,
    );
    expect(
      types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource'),
    ).toEqual([]);
    // Failed run-now calls are retried, then kept in the failed-records bucket.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: triggerId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  test('outputs name what the deployment guide needs next', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual([
      'AlarmTopic',
      'CaptureFunction',
      'DashboardName',
      'DataBucket',
      'FailedRecordsBucket',
      'ProcessFunction',
      'StagedUrl',
      'TriggerFunction',
    ]);
    expect(flat(template.toJSON().Outputs.StagedUrl.Value)).toMatch(
      /^s3:\/\/<StorageData[0-9A-F]+>\/staged\/$/,
    );
  });
});

describe('TelemetryStack (new table, direct load mode)', () => {
  let template: Template;
  beforeAll(() => {
    const config = testConfig({
      table: { mode: 'create', name: 'chargeminder-car-telemetry', streamArn: undefined },
      databricks: { loadMode: 'direct' },
      bucket: { name: 'my-telemetry-bucket' },
    });
    template = synthTelemetryStack(config).template;
  });

  test('creates the table with a NEW_AND_OLD_IMAGES stream, PITR and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'chargeminder-car-telemetry',
      KeySchema: [{ AttributeName: 'event_id', KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    const [tableId] = resourcesOfType(template, 'AWS::DynamoDB::Table')[0] ?? [];
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
    });
    const capture = grants(statementsOfFunction(template, 'chargeminder-telemetry-capture'));
    expect(capture['dynamodb:GetRecords']).toEqual([`<${tableId}.StreamArn>`]);
  });

  test('direct mode deploys no trigger function and no bucket notification', () => {
    expect(() => functionNamed(template, 'chargeminder-telemetry-trigger')).toThrow();
    const [, data] =
      resourcesOfType(template, 'AWS::S3::Bucket').find(([, b]) => b.Properties?.BucketName !== undefined) ??
      [];
    expect(data?.Properties?.BucketName).toBe('my-telemetry-bucket');
    expect(data?.Properties?.NotificationConfiguration).toBeUndefined();
    expect(environmentOf(template, 'chargeminder-telemetry-process').TELEMETRY_LOAD_MODE).toBe('direct');
  });
});

test('the example config describes the real handler entry points', () => {
  expect(HANDLER_ENTRIES).toEqual({
    capture: 'src/capture/captureHandler.ts',
    process: 'src/process/processHandler.ts',
    trigger: 'src/adapters/databricks/triggerHandler.ts',
  });
  expect(() => infraConfig.parse({})).toThrow(/databricks/);
});
