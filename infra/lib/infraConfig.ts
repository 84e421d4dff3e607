import { z } from 'zod';
import { prefix } from '../../src/config/parseEnv.js';
import { DEFAULT_PREFIXES } from '../../src/config/prefixes.js';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const positiveInt = z.number().int().positive();
const name = (pattern: RegExp, hint: string) => z.string().trim().regex(pattern, hint);

const awsPartition = 'aws(-[a-z]+)*';
const streamArn = name(
  new RegExp(`^arn:${awsPartition}:dynamodb:[a-z0-9-]+:\\d{12}:table/[A-Za-z0-9_.-]{3,255}/stream/[^/\\s]+$`),
  'must be a DynamoDB stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)',
);
const secretArn = name(
  new RegExp(
    `^arn:${awsPartition}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`,
  ),
  'must be the complete secret ARN, including the 6-character suffix Secrets Manager adds',
);
const kmsKeyArn = name(
  new RegExp(`^arn:${awsPartition}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`),
  'must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)',
);
/** EventBridge schedule: `rate(5 minutes)` or `cron(...)`. */
const schedule = name(
  /^(rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/,
  'must be rate(N minutes|hours|days) or cron(...)',
);

const tableConfig = z
  .object({
    /** `import` uses the existing table and its stream; `create` makes one (a fresh environment). */
    mode: z.enum(['import', 'create']).default('import'),
    name: name(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name').default(
      'chargeminder-car-telemetry',
    ),
    /** Required with `import`: the table's current stream ARN (`aws dynamodb describe-table`). */
    streamArn: streamArn.optional(),
    /** The table's customer-managed KMS key (`SSEDescription.KMSMasterKeyArn`): capture needs kms:Decrypt on it. */
    kmsKeyArn: kmsKeyArn.optional(),
  })
  .superRefine((t, ctx) => {
    if (t.mode === 'import' && t.streamArn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['streamArn'], message: 'is required when mode is "import"' });
    }
    if (t.streamArn !== undefined && !t.streamArn.includes(`:table/${t.name}/stream/`)) {
      ctx.addIssue({ code: 'custom', path: ['streamArn'], message: `is not a stream of table "${t.name}"` });
    }
  });

const bucketConfig = z.object({
  /** Globally unique; default `<namePrefix>-<account>-<region>` (resolved at deploy time). */
  name: name(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name').optional(),
  rawPrefix: prefix.default(DEFAULT_PREFIXES.raw),
  archivePrefix: prefix.default(DEFAULT_PREFIXES.archive),
  quarantinePrefix: prefix.default(DEFAULT_PREFIXES.quarantine),
  stagedPrefix: prefix.default(DEFAULT_PREFIXES.staged),
  /**
   * Unset (default): the archive stays in Standard. Glacier IR bills 90 days minimum and S3 moves no object under
   * 128 KB, so a transition only pays for large archive objects kept for months.
   */
  archiveGlacierAfterDays: z.number().int().min(90).optional(),
  /** Archive objects expire after this many days; unset keeps them forever (they allow replays). */
  archiveExpireAfterDays: positiveInt.optional(),
  quarantineExpireAfterDays: positiveInt.default(180),
  /** Staged batches are loaded within minutes; the archive can rebuild any that expire unloaded. */
  stagedExpireAfterDays: positiveInt.default(14),
  /** Versioning keeps overwritten or deleted objects for this long. */
  noncurrentExpireAfterDays: positiveInt.default(7),
});

const captureConfig = z.object({
  batchSize: z.number().int().min(1).max(10_000).default(500),
  maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(5),
  /**
   * -1 (default): retry until the stream trims the record (24 h). Capture throws only when the raw write fails (an
   * outage, never content), so a finite limit would only push good batches, REMOVEs included, to failed-records.
   */
  retryAttempts: z.number().int().min(-1).max(10_000).default(-1),
  /** -1 (default): no age limit below the stream's 24 h retention (see retryAttempts). */
  maxRecordAgeSeconds: z
    .number()
    .int()
    .refine((s) => s === -1 || (s >= 60 && s <= 604_800), 'must be -1 or 60-604800')
    .default(-1),
  /** TRIM_HORIZON reads the stream's last 24 h on the first deploy; older history comes from a backfill. */
  startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
  parallelizationFactor: z.number().int().min(1).max(10).default(1),
  memoryMb: z.number().int().min(128).max(10_240).default(512),
  timeoutSeconds: z.number().int().min(1).max(900).default(60),
});

const processConfig = z.object({
  schedule: schedule.default('rate(5 minutes)'),
  /** false: the schedule is deployed DISABLED (first deploy, before the Databricks side exists). */
  enabled: z.boolean().default(true),
  /**
   * Unset (default): no reserved concurrency (it needs 100 unreserved executions left in the account). The
   * single writer is the process lease either way.
   */
  reservedConcurrency: z.number().int().min(1).max(1000).optional(),
  memoryMb: z.number().int().min(128).max(10_240).default(2048),
  timeoutSeconds: z.number().int().min(1).max(900).default(600),
});

const triggerConfig = z.object({
  memoryMb: z.number().int().min(128).max(10_240).default(256),
  /** Covers the trigger's Databricks calls with their own retries (TRIGGER_HTTP: 3 attempts x 15 s + backoff). */
  timeoutSeconds: z.number().int().min(1).max(900).default(90),
  /** Asynchronous retries of a failed run-now call (Lambda allows 0-2). */
  retryAttempts: z.number().int().min(0).max(2).default(2),
});

const databricksConfig = z.object({
  host: z.url({ protocol: /^https$/, error: 'must be an https:// workspace URL' }),
  warehouseId: name(/^[A-Za-z0-9]+$/, 'must be a SQL warehouse id'),
  /** Secret with the OAuth client id/secret (or a token); its value never appears in the template. */
  secretArn,
  /** Only when the secret is encrypted with a customer-managed key. */
  secretKmsKeyArn: kmsKeyArn.optional(),
  table: name(/^[^\s]+\.[^\s]+\.[^\s]+$/, 'must be catalog.schema.table').default(
    'main.telemetry.car_telemetry_flattened',
  ),
  loadMode: z.enum(['direct', 'job']).default('direct'),
  jobName: z.string().trim().min(1).default('telemetry-load'),
});

const alarmConfig = z.object({
  /** Subscribed to the alarm topic when set (confirm the e-mail AWS sends). */
  email: z.email().optional(),
  /** Capture falls behind the stream: maximum IteratorAge above this. */
  iteratorAgeSeconds: positiveInt.default(300),
  /** Oldest raw object still waiting for the process stage. */
  processLagMinutes: positiveInt.default(30),
  /** Quarantined records per hour above this. */
  quarantinedPerHour: z.number().int().min(0).default(10),
});

/**
 * Everything the deployment needs, in one validated object: names, prefixes, stream settings, schedule,
 * Databricks coordinates and alarm thresholds. Loaded by `loadInfraConfig` from a JSON file plus
 * `TELEMETRY_DEPLOY_*` overrides.
 */
export const infraConfig = z
  .object({
    /** True in the shipped example file: `npm run synth` works, `npm run deploy` refuses. */
    example: z.boolean().default(false),
    stackName: name(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name').default(
      'ChargeMinderTelemetry',
    ),
    /** Prefix of function, log group, alarm and dashboard names. */
    namePrefix: name(/^[a-z][a-z0-9-]{0,29}$/, 'lower case letters, digits and "-", at most 30').default(
      'chargeminder-telemetry',
    ),
    /** Unset: the account and region of the credentials `cdk deploy` runs with. */
    account: name(/^\d{12}$/, 'must be a 12-digit account id').optional(),
    region: name(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as eu-west-1').optional(),
    table: tableConfig.prefault({}),
    bucket: bucketConfig.prefault({}),
    capture: captureConfig.prefault({}),
    process: processConfig.prefault({}),
    trigger: triggerConfig.prefault({}),
    databricks: databricksConfig,
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    /** Failed stream batches and failed trigger events are kept this long. */
    failedRecordsExpireAfterDays: positiveInt.default(90),
    alarms: alarmConfig.prefault({}),
  })
  .superRefine((c, ctx) => {
    // A stream, secret or key in another region fails at deploy or run time: refuse it at synth.
    const arns: [string[], string | undefined][] = [
      [['table', 'streamArn'], c.table.streamArn],
      [['table', 'kmsKeyArn'], c.table.kmsKeyArn],
      [['databricks', 'secretArn'], c.databricks.secretArn],
      [['databricks', 'secretKmsKeyArn'], c.databricks.secretKmsKeyArn],
    ];
    const expected = c.region ?? arnRegion(c.table.streamArn ?? c.databricks.secretArn);
    for (const [path, arn] of arns) {
      const region = arnRegion(arn);
      if (region !== undefined && region !== expected)
        ctx.addIssue({
          code: 'custom',
          path,
          message: `is in region ${region}, the deployment in ${expected}${c.region ? '' : ' (set "region")'}`,
        });
    }
  });

/** The region field of an ARN (`arn:partition:service:REGION:...`). */
function arnRegion(arn: string | undefined): string | undefined {
  return arn?.split(':')[3] || undefined;
}
export type InfraConfig = z.infer<typeof infraConfig>;
