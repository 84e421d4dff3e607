import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BATCH_FOLDER_PREFIX } from '../../src/adapters/databricks/StagedManifest.js';
import { FAILED_BATCHES_PREFIX, REPLAYED_PREFIX } from '../../src/replay/replayFailedRecords.js';
import type { InfraConfig } from './infraConfig.js';

/**
 * S3 request-metrics filter on the failed-records bucket (PutRequests > 0 means records failed): only where Lambda
 * writes (`aws/lambda/`), so `telemetry replay failed-records` moving handled objects to `replayed/` is not counted.
 */
export const FAILED_RECORDS_METRICS_FILTER = 'FailedRecords';

/** The key prefix shared by every staged batch folder (`staged/batch-<id>/`, see StagedManifest). */
export function stagedBatchesPrefix(stagedPrefix: string): string {
  return `${stagedPrefix}${BATCH_FOLDER_PREFIX}`;
}

const secureDefaults = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

export interface TelemetryStorageProps {
  readonly config: InfraConfig;
}

/**
 * The pipeline bucket (raw / archive / quarantine / staged prefixes), the bucket that keeps failed stream
 * batches and trigger events, and the bucket that receives both buckets' access logs.
 */
export class TelemetryStorage extends Construct {
  readonly bucket: Bucket;
  /** The data bucket's name as a plain string (configured, or built from account and region). */
  readonly bucketName: string;
  readonly failedRecords: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: TelemetryStorageProps) {
    super(scope, id);
    const { config } = props;
    const b = config.bucket;
    this.bucketName = b.name ?? `${config.namePrefix}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...secureDefaults,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    const noncurrent = Duration.days(b.noncurrentExpireAfterDays);
    const prefixRule = (id: string, prefix: string, rest: Partial<LifecycleRule> = {}): LifecycleRule => ({
      id,
      prefix,
      abortIncompleteMultipartUploadAfter: Duration.days(1),
      noncurrentVersionExpiration: noncurrent,
      ...rest,
    });
    const lifecycleRules: LifecycleRule[] = [
      // Raw objects are pending work: the process stage moves them to the archive; never expire them. Each move
      // leaves a delete marker the next listing walks over: the archive copy is the durable one, so the deleted
      // version goes after a day and the expired-marker rule below removes the marker.
      prefixRule('raw-pending', b.rawPrefix, { noncurrentVersionExpiration: Duration.days(1) }),
      prefixRule('archive', b.archivePrefix, {
        ...(b.archiveGlacierAfterDays === undefined
          ? {}
          : {
              transitions: [
                {
                  storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
                  transitionAfter: Duration.days(b.archiveGlacierAfterDays),
                },
              ],
              // Below 128 KB S3 never transitions and GIR bills 128 KB minimum anyway.
              objectSizeGreaterThan: 128 * 1024,
            }),
        ...(b.archiveExpireAfterDays === undefined
          ? {}
          : { expiration: Duration.days(b.archiveExpireAfterDays) }),
      }),
      prefixRule('quarantine', b.quarantinePrefix, {
        expiration: Duration.days(b.quarantineExpireAfterDays),
      }),
      // Only batch folders expire: whatever else lives under the staged prefix (column registry, lease) stays.
      prefixRule('staged', stagedBatchesPrefix(b.stagedPrefix), {
        expiration: Duration.days(b.stagedExpireAfterDays),
      }),
      { id: 'delete-markers', expiredObjectDeleteMarker: true },
    ];

    this.bucket = new Bucket(this, 'Data', {
      ...secureDefaults,
      bucketName: this.bucketName,
      versioned: true,
      lifecycleRules,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
    });

    this.failedRecords = new Bucket(this, 'FailedRecords', {
      ...secureDefaults,
      lifecycleRules: [
        // Replayed objects are evidence only (their records are raw objects now): gone after a day, so the
        // failed-records-not-empty alarm clears after a replay.
        { id: 'expire-replayed', prefix: REPLAYED_PREFIX, expiration: Duration.days(1) },
        {
          id: 'expire-failed-records',
          expiration: Duration.days(config.failedRecordsExpireAfterDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'failed-records/',
      metrics: [{ id: FAILED_RECORDS_METRICS_FILTER, prefix: FAILED_BATCHES_PREFIX }],
    });
  }

  /** The L1 data bucket, for the staged-manifest notification (set without a custom resource). */
  get cfnBucket(): CfnBucket {
    return this.bucket.node.defaultChild as CfnBucket;
  }
}
