import { describe, expect, it } from 'vitest';
import { parseFailedBatch } from '../../src/replay/parseFailedBatch.js';

const ARN =
  'arn:aws:dynamodb:eu-west-1:111111111111:table/chargeminder-car-telemetry/stream/2025-01-01T00:00:00.000';
const RECORD = {
  eventID: 'e1',
  eventName: 'REMOVE',
  eventSourceARN: ARN,
  dynamodb: {
    Keys: { event_id: { S: 'a' } },
    SequenceNumber: '100',
    ApproximateCreationDateTime: 1764100800,
  },
};

/** The documented S3 on-failure record of a DynamoDB stream batch (services-dynamodb-errors), with `payload`. */
function invocationRecord(payload: unknown): Record<string, unknown> {
  return {
    requestContext: {
      requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
      functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:chargeminder-telemetry-capture',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 1,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-02T00:13:49.717Z',
    DDBStreamBatchInfo: {
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '100',
      endSequenceNumber: '100',
      approximateArrivalOfFirstRecord: '2026-12-02T00:13:19Z',
      approximateArrivalOfLastRecord: '2026-12-02T00:13:19Z',
      batchSize: 1,
      streamArn: ARN,
    },
    ...(payload === undefined ? {} : { payload }),
  };
}

describe('parseFailedBatch: the capture mapping on-failure object', () => {
  it.each([
    ['an object', { Records: [RECORD] }],
    ['its JSON text', JSON.stringify({ Records: [RECORD] })],
  ])('reads the batch whose payload is %s', (_, payload) => {
    // Act
    const parsed = parseFailedBatch(JSON.stringify(invocationRecord(payload)));

    // Assess
    expect(parsed).toEqual({
      streamArn: ARN,
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '100',
      endSequenceNumber: '100',
      failedAt: Date.parse('2026-12-02T00:13:49.717Z'),
      condition: 'RetryAttemptsExhausted',
      records: [RECORD],
    });
  });

  it('a record without its batch (SNS/SQS shape) is a problem that names the range to re-read', () => {
    const parsed = parseFailedBatch(JSON.stringify(invocationRecord(undefined)));
    expect(parsed).toEqual({
      reason: expect.stringMatching(/no payload records.*100\.\.100/),
      foreign: false,
    });
  });

  it("the trigger's failed S3 event (an async invocation record) is foreign: left alone", () => {
    const asyncRecord = {
      version: '1.0',
      timestamp: '2026-12-02T00:13:49.717Z',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { Records: [{ eventSource: 'aws:s3' }] },
    };
    expect(parseFailedBatch(JSON.stringify(asyncRecord))).toMatchObject({ foreign: true });
  });

  it('bytes that are not JSON are a problem, not an exception', () => {
    expect(parseFailedBatch(Buffer.from('{"half'))).toEqual({ reason: 'not JSON', foreign: false });
  });
});
