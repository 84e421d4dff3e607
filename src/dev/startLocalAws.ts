import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import {
  DEV_BUCKET,
  DEV_TABLE,
  ensureBucket,
  ensureTelemetryTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoDb,
  localStreams,
} from './localAws.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from './startDynamoDbLocal.js';
import { type RunningS3Server, startS3Server } from './startS3Server.js';

export interface LocalAwsOptions {
  /** Folder for the S3 server's objects and (unless `inMemory`) DynamoDB Local's database. */
  readonly directory: string;
  /** DynamoDB Local without a database file (tests). */
  readonly inMemory?: boolean;
  readonly table?: string;
  readonly bucket?: string;
  /** S3 endpoint the stores use instead of the server's own (e.g. a fault-injecting proxy in front of it). */
  readonly s3Endpoint?: (serverEndpoint: string) => Promise<string> | string;
  /** Attempts per S3 request (SDK retries included). */
  readonly s3MaxAttempts?: number;
}

export interface LocalAws {
  readonly dynamoDb: RunningDynamoDbLocal;
  readonly s3: RunningS3Server;
  readonly table: string;
  readonly bucket: string;
  /** The capture mapping's on-failure destination (`<bucket>-failed-records`), as the stack has one. */
  readonly failedBucket: string;
  readonly streamArn: string;
  readonly ddb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** The endpoint stores use (the server's, or the one `s3Endpoint` returned). */
  readonly s3Endpoint: string;
  /** A store on the bucket (or the failed-records bucket) through `s3Endpoint`. */
  store(options?: { maxAttempts?: number; bucket?: string }): S3ObjectStore;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local + an S3 server on 127.0.0.1 with the table (stream on) and bucket created: the local AWS that
 * `telemetry dev` and the integration tests run on.
 *
 * @example
 * const aws = await startLocalAws({ directory: './data/dev' });
 * try { ... } finally { await aws.stop(); }
 */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const table = options.table ?? DEV_TABLE;
  const bucket = options.bucket ?? DEV_BUCKET;
  const failedBucket = `${bucket}-failed-records`;
  const [d, s] = await Promise.allSettled([
    startDynamoDbLocal(options.inMemory ? {} : { dbPath: join(options.directory, 'dynamodb') }),
    startS3Server({ directory: join(options.directory, 's3'), buckets: [bucket, failedBucket] }),
  ]);
  if (d.status === 'rejected' || s.status === 'rejected') {
    // One started and the other did not: stop the one that did, report the failure.
    if (d.status === 'fulfilled') await d.value.stop();
    if (s.status === 'fulfilled') await s.value.stop();
    throw d.status === 'rejected' ? d.reason : (s as PromiseRejectedResult).reason;
  }
  const dynamoDb = d.value;
  const s3 = s.value;
  const ddb = localDynamoDb(dynamoDb.endpoint);
  const streams = localStreams(dynamoDb.endpoint);
  const clients: { destroy(): void }[] = [ddb, streams];
  const stop = async () => {
    for (const c of clients) c.destroy();
    await Promise.all([dynamoDb.stop(), s3.stop()]);
  };
  try {
    const streamArn = await ensureTelemetryTable(ddb, table);
    const s3Endpoint = options.s3Endpoint ? await options.s3Endpoint(s3.endpoint) : s3.endpoint;
    const admin = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    clients.push(admin);
    await ensureBucket(admin, bucket);
    await ensureBucket(admin, failedBucket);
    const store = (o: { maxAttempts?: number; bucket?: string } = {}) => {
      const client = new S3Client({
        endpoint: s3Endpoint,
        forcePathStyle: true,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        maxAttempts: o.maxAttempts ?? options.s3MaxAttempts ?? 3,
      });
      clients.push(client);
      return new S3ObjectStore({ bucket: o.bucket ?? bucket, client });
    };
    return { dynamoDb, s3, table, bucket, failedBucket, streamArn, ddb, streams, s3Endpoint, store, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
