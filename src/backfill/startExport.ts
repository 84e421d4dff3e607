import {
  DescribeExportCommand,
  type DynamoDBClient,
  ExportTableToPointInTimeCommand,
} from '@aws-sdk/client-dynamodb';
import { ConfigError } from '../core/errors.js';

export interface StartExportOptions {
  readonly tableArn: string;
  readonly bucket: string;
  /** Key prefix in the bucket (no trailing slash); DynamoDB writes under PREFIX/AWSDynamoDB/<export-id>/. */
  readonly prefix?: string;
  /** Between two DescribeExport calls (default 10 s: an export takes minutes, at least). */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (status: ExportStatus) => void;
  readonly shouldStop?: () => boolean;
}

export interface ExportStatus {
  readonly exportArn: string;
  readonly status: string;
  readonly itemCount?: number;
  readonly billedSizeBytes?: number;
}

export interface FinishedExport extends ExportStatus {
  /** The export's folder, `s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/`: what `backfill --export` reads. */
  readonly url: string;
}

/** The export id is the ARN's last segment (…/export/<id>); DynamoDB names the export's folder after it. */
function exportFolder(bucket: string, prefix: string | undefined, arn: string, manifest?: string): string {
  const dir = manifest?.replace(/[^/]*$/, '');
  if (dir) return `s3://${bucket}/${dir}`;
  const id = arn.split('/').at(-1) ?? '';
  return `s3://${bucket}/${prefix ? `${prefix.replace(/\/+$/, '')}/` : ''}AWSDynamoDB/${id}/`;
}

/**
 * Starts a DynamoDB export to S3 (`ExportTableToPointInTime`, DYNAMODB_JSON, a full export of the table as of now)
 * and waits for it with `DescribeExport`. Point-in-time recovery must be on: when it is off, the error says so and
 * how to turn it on (or to backfill by Scan instead). Reads no item itself: `backfill --export URL` ingests it.
 *
 * @example
 * const done = await startExport(ddb, { tableArn, bucket: 'exports', prefix: 'telemetry' });
 * // done.url = 's3://exports/telemetry/AWSDynamoDB/01234-abcd/'
 */
export async function startExport(ddb: DynamoDBClient, options: StartExportOptions): Promise<FinishedExport> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let arn: string | undefined;
  try {
    const started = await ddb.send(
      new ExportTableToPointInTimeCommand({
        TableArn: options.tableArn,
        S3Bucket: options.bucket,
        ...(options.prefix ? { S3Prefix: options.prefix } : {}),
        ExportFormat: 'DYNAMODB_JSON',
      }),
    );
    arn = started.ExportDescription?.ExportArn;
  } catch (error) {
    if ((error as { name?: string }).name === 'PointInTimeRecoveryUnavailableException') {
      const table = options.tableArn.split('/').at(-1);
      throw new ConfigError(
        `point-in-time recovery (PITR) is off for table ${table}, and an export needs it: turn it on ` +
          `(aws dynamodb update-continuous-backups --table-name ${table} ` +
          '--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true) and run again, ' +
          `or backfill by Scan instead (telemetry backfill --table ${table})`,
      );
    }
    throw error;
  }
  if (!arn) throw new Error('ExportTableToPointInTime returned no ExportArn');
  for (;;) {
    const d = (await ddb.send(new DescribeExportCommand({ ExportArn: arn }))).ExportDescription;
    const status: ExportStatus = {
      exportArn: arn,
      status: d?.ExportStatus ?? 'UNKNOWN',
      ...(d?.ItemCount !== undefined ? { itemCount: d.ItemCount } : {}),
      ...(d?.BilledSizeBytes !== undefined ? { billedSizeBytes: d.BilledSizeBytes } : {}),
    };
    options.onProgress?.(status);
    if (status.status === 'COMPLETED')
      return { ...status, url: exportFolder(options.bucket, options.prefix, arn, d?.ExportManifest) };
    if (status.status === 'FAILED')
      throw new Error(`export ${arn} failed: ${d?.FailureCode ?? 'no code'}: ${d?.FailureMessage ?? ''}`);
    if (options.shouldStop?.())
      throw new Error(
        `stopped while export ${arn} was ${status.status}: it continues; ingest it later with --export`,
      );
    await sleep(options.pollMs ?? 10_000);
  }
}
