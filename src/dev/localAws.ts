import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

/**
 * Creates the table like the real one (key `event_id`, stream NEW_AND_OLD_IMAGES) unless it exists, and returns
 * its stream ARN.
 */
export async function ensureTelemetryTable(ddb: DynamoDBClient, table = DEV_TABLE): Promise<string> {
  try {
    const existing = await ddb.send(new DescribeTableCommand({ TableName: table }));
    const arn = existing.Table?.LatestStreamArn;
    if (arn) return arn;
    throw new Error(`table ${table} exists without a stream`);
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  const created = await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'event_id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'event_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const arn = created.TableDescription?.LatestStreamArn;
  if (!arn) throw new Error(`DynamoDB Local created ${table} without a stream`);
  return arn;
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
