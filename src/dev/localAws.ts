import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';

import { DEV_TABLE, LOCAL_CREDENTIALS, LOCAL_REGION } from '../config/localAws.js';

export { DEV_BUCKET, DEV_TABLE, LOCAL_CREDENTIALS, LOCAL_REGION } from '../config/localAws.js';

export function localDynamoDb(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

export function localStreams(endpoint: string): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

const STREAM = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } as const;

/**
 * Creates the table like the real one (key `event_id`, stream NEW_AND_OLD_IMAGES) unless it exists, turns its
 * stream on if it is off (`telemetry dev --no-stream` turned it off), and returns the stream's ARN.
 */
export async function ensureTelemetryTable(ddb: DynamoDBClient, table = DEV_TABLE): Promise<string> {
  try {
    const existing = await ddb.send(new DescribeTableCommand({ TableName: table }));
    if (existing.Table?.StreamSpecification?.StreamEnabled && existing.Table.LatestStreamArn)
      return existing.Table.LatestStreamArn;
    // A new stream: it carries only what changes from now on, like enabling one on a table that has history.
    const updated = await ddb.send(new UpdateTableCommand({ TableName: table, StreamSpecification: STREAM }));
    const arn = updated.TableDescription?.LatestStreamArn;
    if (!arn) throw new Error(`DynamoDB Local turned on no stream for ${table}`);
    return arn;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  const created = await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'event_id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'event_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: STREAM,
    }),
  );
  const arn = created.TableDescription?.LatestStreamArn;
  if (!arn) throw new Error(`DynamoDB Local created ${table} without a stream`);
  return arn;
}

/** Turns the table's stream off: what is written until it is on again never reaches capture (history). */
export async function disableStream(ddb: DynamoDBClient, table = DEV_TABLE): Promise<void> {
  await ddb.send(new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: false } }));
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
