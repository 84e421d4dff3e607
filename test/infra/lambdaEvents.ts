import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBStreamEvent, S3Event, ScheduledEvent } from 'aws-lambda';
import { readFixture } from '../support/fixtures.js';

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
export const STREAM_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/chargeminder-car-telemetry/stream/2025-01-01T00:00:00.000`;

/** A DynamoDB stream event as Lambda delivers it: the stored-item fixture as INSERT, MODIFY and REMOVE of one item. */
export function streamEvent(): DynamoDBStreamEvent {
  // Stream images are DynamoDB JSON (typed attribute values), as the stored item is in the table.
  const item = marshall(readFixture('seed/dynamodb-item-example.json')) as Record<string, AttributeValue>;
  const keys = { event_id: item.event_id as AttributeValue };
  const record = (
    eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
    seq: number,
    images: Record<string, unknown>,
  ) => ({
    eventID: `e${seq}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: 1764100800,
      Keys: keys,
      SequenceNumber: String(100 + seq),
      SizeBytes: 1000,
      StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
      ...images,
    },
  });
  return {
    Records: [
      record('INSERT', 1, { NewImage: item }),
      record('MODIFY', 2, { NewImage: item, OldImage: item }),
      record('REMOVE', 3, { OldImage: item }),
    ],
  };
}

/** What EventBridge hands the process function on each tick of its schedule. */
export function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: '2026-12-02T03:05:00Z',
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/chargeminder-telemetry-process-schedule`],
    detail: {},
  };
}

/** S3's ObjectCreated notification for one object, key URL-encoded as S3 sends it. */
export function objectCreatedEvent(bucket: string, key: string, etag: string, size: number): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: '2026-12-02T03:05:07.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AROAEXAMPLE' },
        requestParameters: { sourceIPAddress: '10.0.0.1' },
        responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'staged-manifest',
          bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key), size, eTag: etag, sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  };
}
