import { resolve } from 'node:path';
import { Aws, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  type CfnEventSourceMapping,
  CfnPermission,
  EventSourceMapping,
  type IDestination,
  MetricType,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { MANIFEST_NAME } from '../../src/adapters/databricks/StagedManifest.js';
import { captureEnv } from '../../src/config/captureConfig.js';
import { processEnv } from '../../src/config/processConfig.js';
import { triggerEnv } from '../../src/config/triggerConfig.js';
import { leaseKey } from '../../src/process/processLease.js';
import { BucketAccess } from './bucketAccess.js';
import { functionEnvironment } from './functionEnvironment.js';
import type { InfraConfig } from './infraConfig.js';
import { TelemetryAlarms } from './TelemetryAlarms.js';
import { TelemetryDashboard } from './TelemetryDashboard.js';
import { TelemetryFunction } from './TelemetryFunction.js';
import { TelemetryStorage } from './TelemetryStorage.js';

/** Statements stop (and are canceled) 2 minutes before the process Lambda's timeout, never later. */
export function statementDeadlineSeconds(config: InfraConfig): number {
  return Math.max(30, config.process.timeoutSeconds - 120);
}

/** The handlers `npm run synth` bundles (relative to the project root). */
export const HANDLER_ENTRIES = {
  capture: 'src/capture/captureHandler.ts',
  process: 'src/process/processHandler.ts',
  trigger: 'src/adapters/databricks/triggerHandler.ts',
} as const;
export type HandlerName = keyof typeof HANDLER_ENTRIES;

export interface TelemetryStackProps extends StackProps {
  readonly config: InfraConfig;
  /** Directory holding package-lock.json and src/ (default: the current directory). */
  readonly projectRoot?: string;
  /** Other handler files (tests use small fixtures); default `HANDLER_ENTRIES`. */
  readonly entries?: Partial<Record<HandlerName, string>>;
}

/**
 * The whole AWS side of the pipeline, from one validated config: bucket, capture / process / trigger functions,
 * the stream event source, the schedule, the staged-manifest notification, least-privilege roles, alarms and
 * a dashboard.
 */
export class TelemetryStack extends Stack {
  readonly storage: TelemetryStorage;
  readonly capture: TelemetryFunction;
  readonly process: TelemetryFunction;
  readonly trigger: TelemetryFunction | undefined;
  readonly alarms: TelemetryAlarms;

  constructor(scope: Construct, id: string, props: TelemetryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const root = resolve(props.projectRoot ?? '.');
    const entry = (name: HandlerName) => resolve(root, props.entries?.[name] ?? HANDLER_ENTRIES[name]);
    const b = config.bucket;
    const db = config.databricks;
    const name = (suffix: string) => `${config.namePrefix}-${suffix}`;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.storage = new TelemetryStorage(this, 'Storage', { config });
    const data = new BucketAccess(this.storage.bucketName);
    const failedRecords = new BucketAccess(this.storage.failedRecords.bucketName);
    // Lambda writes failed stream batches / async events to S3 with the function's role: PutObject + ListBucket.
    const failedRecordsWrite = [failedRecords.objects(['s3:PutObject'], ['']), failedRecords.list()];
    const failureDestination = { destination: this.storage.failedRecords.bucketArn };

    const stream = this.streamSource(config);
    const secretRead = this.secretStatements(config);

    // Stage 1: DynamoDB stream -> raw NDJSON objects.
    this.capture = new TelemetryFunction(this, 'Capture', {
      functionName: name('capture'),
      description: 'DynamoDB stream -> gzip NDJSON raw objects in S3',
      entry: entry('capture'),
      projectRoot: root,
      environment: functionEnvironment(
        captureEnv,
        { TELEMETRY_BUCKET: this.storage.bucketName, TELEMETRY_RAW_PREFIX: b.rawPrefix },
        'capture',
      ),
      memoryMb: config.capture.memoryMb,
      timeoutSeconds: config.capture.timeoutSeconds,
      logRetention,
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [stream.arn],
        }),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['dynamodb:ListStreams'],
          resources: [stream.tableStreamsArn],
        }),
        data.objects(['s3:PutObject'], [b.rawPrefix]),
        ...failedRecordsWrite,
        ...(config.table.kmsKeyArn === undefined
          ? []
          : [
              new PolicyStatement({
                effect: Effect.ALLOW,
                actions: ['kms:Decrypt'],
                resources: [config.table.kmsKeyArn],
                conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
              }),
            ]),
      ],
    });
    const c = config.capture;
    const mapping = new EventSourceMapping(this, 'CaptureStream', {
      target: this.capture.fn,
      eventSourceArn: stream.arn,
      startingPosition: StartingPosition[c.startingPosition],
      batchSize: c.batchSize,
      maxBatchingWindow: Duration.seconds(c.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      parallelizationFactor: c.parallelizationFactor,
      onFailure: { bind: () => failureDestination },
      // EventCount metrics: DroppedEventCount and FailedInvokeEventCount feed the alarms.
      metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    });
    // CDK refuses -1 ("retry until the record expires"); CloudFormation documents it for both properties.
    const cfnMapping = mapping.node.defaultChild as CfnEventSourceMapping;
    cfnMapping.maximumRetryAttempts = c.retryAttempts;
    cfnMapping.maximumRecordAgeInSeconds = c.maxRecordAgeSeconds;

    // Stage 2: raw -> flattened, quarantined, archived, staged; loaded directly or by the Databricks job.
    this.process = new TelemetryFunction(this, 'Process', {
      functionName: name('process'),
      description: 'Raw objects -> staged Parquet -> Databricks (one run at a time, on a schedule)',
      entry: entry('process'),
      projectRoot: root,
      environment: functionEnvironment(
        processEnv,
        {
          TELEMETRY_BUCKET: this.storage.bucketName,
          TELEMETRY_RAW_PREFIX: b.rawPrefix,
          TELEMETRY_ARCHIVE_PREFIX: b.archivePrefix,
          TELEMETRY_QUARANTINE_PREFIX: b.quarantinePrefix,
          TELEMETRY_STAGED_PREFIX: b.stagedPrefix,
          TELEMETRY_DATABRICKS_HOST: db.host,
          TELEMETRY_DATABRICKS_WAREHOUSE_ID: db.warehouseId,
          TELEMETRY_DATABRICKS_SECRET_ARN: db.secretArn,
          TELEMETRY_TABLE: db.table,
          TELEMETRY_LOAD_MODE: db.loadMode,
          TELEMETRY_DATABRICKS_JOB_NAME: db.jobName,
          TELEMETRY_DATABRICKS_STATEMENT_DEADLINE_SECONDS: String(statementDeadlineSeconds(config)),
        },
        'process',
      ),
      memoryMb: config.process.memoryMb,
      timeoutSeconds: config.process.timeoutSeconds,
      logRetention,
      // The single writer is the process lease; reserved concurrency only where the account quota allows it.
      reservedConcurrency: config.process.reservedConcurrency,
      // A missed tick is not retried: the next tick picks up whatever is pending.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(60),
      statements: [
        data.list(),
        data.objects(['s3:GetObject', 's3:DeleteObject'], [b.rawPrefix]),
        // Archiving checks (HeadObject = GetObject) whether an earlier run already archived an object.
        data.objects(['s3:GetObject', 's3:PutObject'], [b.archivePrefix]),
        data.objects(['s3:PutObject'], [b.quarantinePrefix]),
        data.objects(['s3:GetObject', 's3:PutObject'], [b.stagedPrefix]),
        // The single-writer lease: created with If-None-Match, released by its holder.
        data.object(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], leaseKey(b.stagedPrefix)),
        ...secretRead,
      ],
    });
    // Heap cap at half the function memory (perf, docs/performance.md): V8 collects before garbage fills it.
    this.process.fn.addEnvironment(
      'NODE_OPTIONS',
      `--max-old-space-size=${Math.floor(config.process.memoryMb / 2)}`,
    );
    new Rule(this, 'ProcessSchedule', {
      ruleName: name('process-schedule'),
      description: 'Runs the process stage',
      schedule: Schedule.expression(config.process.schedule),
      // Deployed disabled until the Databricks side exists (docs/deploy.md, deploy order).
      enabled: config.process.enabled,
      targets: [new LambdaFunction(this.process.fn, { retryAttempts: 0 })],
    });

    // Stage 3 (job mode): a staged manifest starts the Databricks load job.
    if (db.loadMode === 'job') {
      this.trigger = new TelemetryFunction(this, 'Trigger', {
        functionName: name('trigger'),
        description: 'Staged manifest ObjectCreated -> Databricks jobs/run-now',
        entry: entry('trigger'),
        projectRoot: root,
        environment: functionEnvironment(
          triggerEnv,
          {
            TELEMETRY_DATABRICKS_HOST: db.host,
            TELEMETRY_DATABRICKS_SECRET_ARN: db.secretArn,
            TELEMETRY_DATABRICKS_JOB_NAME: db.jobName,
          },
          'trigger',
        ),
        memoryMb: config.trigger.memoryMb,
        timeoutSeconds: config.trigger.timeoutSeconds,
        logRetention,
        retryAttempts: config.trigger.retryAttempts,
        maxEventAge: Duration.hours(1),
        onFailure: { bind: () => failureDestination } satisfies IDestination,
        // The S3 event carries the manifest's key and ETag; the function reads no object.
        statements: [...secretRead, ...failedRecordsWrite],
      });
      this.notifyOnManifest(this.trigger, data, b.stagedPrefix);
    }

    this.alarms = new TelemetryAlarms(this, 'Alarms', {
      config,
      capture: this.capture.fn,
      process: this.process.fn,
      trigger: this.trigger?.fn,
      captureMapping: mapping,
      failedRecords: this.storage.failedRecords,
    });
    new TelemetryDashboard(this, 'Dashboard', {
      dashboardName: name('pipeline'),
      functions: {
        capture: this.capture.fn,
        process: this.process.fn,
        ...(this.trigger ? { trigger: this.trigger.fn } : {}),
      },
      alarms: this.alarms.alarms,
    });
    this.acknowledgeFindings();

    // What the deployment guide's next steps need (`aws cloudformation describe-stacks` shows them too).
    const outputs: Record<string, [string, string]> = {
      DataBucket: [
        this.storage.bucket.bucketName,
        'Pipeline bucket (raw, archive, quarantine, staged prefixes)',
      ],
      StagedUrl: [
        `s3://${this.storage.bucket.bucketName}/${b.stagedPrefix}`,
        'For telemetry deploy databricks',
      ],
      FailedRecordsBucket: [
        this.storage.failedRecords.bucketName,
        'Failed stream batches and trigger events',
      ],
      AlarmTopic: [this.alarms.topic.topicArn, 'SNS topic every alarm notifies'],
      DashboardName: [name('pipeline'), 'CloudWatch dashboard'],
      CaptureFunction: [this.capture.fn.functionName, 'Log group /aws/lambda/<name>'],
      ProcessFunction: [this.process.fn.functionName, 'Log group /aws/lambda/<name>'],
    };
    if (this.trigger)
      outputs.TriggerFunction = [this.trigger.fn.functionName, 'Log group /aws/lambda/<name>'];
    for (const [id, [value, description]] of Object.entries(outputs))
      new CfnOutput(this, id, { value, description });
  }

  /** The stream to read: the imported table's (from config) or a new table's. */
  private streamSource(config: InfraConfig): { arn: string; tableStreamsArn: string } {
    const t = config.table;
    if (t.mode === 'import' && t.streamArn !== undefined) {
      return { arn: t.streamArn, tableStreamsArn: t.streamArn.replace(/\/stream\/[^/]+$/, '/stream/*') };
    }
    const table = new Table(this, 'Table', {
      tableName: t.name,
      partitionKey: { name: 'event_id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
    });
    if (table.tableStreamArn === undefined) throw new Error('table stream missing');
    return {
      arn: table.tableStreamArn,
      tableStreamsArn: `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${t.name}/stream/*`,
    };
  }

  /** Read access to the Databricks credentials secret (and its key, when it has a customer-managed one). */
  private secretStatements(config: InfraConfig): PolicyStatement[] {
    const db = config.databricks;
    const statements = [
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [db.secretArn],
      }),
    ];
    if (db.secretKmsKeyArn !== undefined) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['kms:Decrypt'],
          resources: [db.secretKmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
    return statements;
  }

  /**
   * S3 ObjectCreated on `<staged>batch-<id>/manifest.json` (written last, after its Parquet parts) invokes the trigger. Set on the bucket itself (no custom
   * resource); the bucket waits for the invoke permission, and the permission names the bucket by its ARN
   * string, so there is no dependency cycle.
   */
  private notifyOnManifest(trigger: TelemetryFunction, data: BucketAccess, stagedPrefix: string): void {
    const permission = new CfnPermission(this, 'TriggerInvokeFromStagedManifest', {
      action: 'lambda:InvokeFunction',
      functionName: trigger.fn.functionArn,
      principal: 's3.amazonaws.com',
      sourceArn: data.bucketArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const cfn = this.storage.cfnBucket;
    cfn.notificationConfiguration = {
      lambdaConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          function: trigger.fn.functionArn,
          filter: {
            s3Key: {
              rules: [
                { name: 'prefix', value: stagedPrefix },
                { name: 'suffix', value: MANIFEST_NAME },
              ],
            },
          },
        },
      ],
    };
    cfn.node.addDependency(permission);
  }

  /** cdk-nag findings that are deliberate, each with its reason. */
  private acknowledgeFindings(): void {
    const functions = [this.capture, this.process, this.trigger].filter((f) => f !== undefined);
    for (const f of functions) {
      Validations.of(f.fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'nodejs24.x is the newest Lambda Node runtime CDK offers (checked 2026-12; standard support to 2028-04).',
      });
    }
  }
}
