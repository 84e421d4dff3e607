import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MemoryShardCheckpoint, type ShardCheckpoint } from '../../src/dev/ShardCheckpoint.js';
import {
  type EventSourceMappingOptions,
  type OnFailureRecord,
  StreamPoller,
} from '../../src/dev/StreamPoller.js';

const ARN = 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2025-11-25T20:00:00.000';

interface FakeShard {
  readonly id: string;
  readonly parent?: string;
  readonly records: _Record[];
  readonly closed: boolean;
}

function streamRecord(seq: number): _Record {
  return {
    eventID: `e${seq}`,
    eventName: 'INSERT',
    dynamodb: {
      ApproximateCreationDateTime: new Date(Date.UTC(2025, 10, 25, 20, 0, seq)),
      Keys: { event_id: { S: `ev-${seq}` } },
      NewImage: { event_id: { S: `ev-${seq}` }, blob: { B: Uint8Array.from([1, 2, 3]) } },
      SequenceNumber: String(100 + seq),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** DynamoDB Streams in memory: GetRecords hands out at most `perRead` records per call. */
function fakeStreams(
  shards: FakeShard[],
  perRead = 2,
  iteratorError?: (input: GetShardIteratorCommand['input']) => Error | undefined,
): DynamoDBStreamsClient {
  const send = async (command: unknown) => {
    if (command instanceof DescribeStreamCommand) {
      return {
        StreamDescription: { Shards: shards.map((s) => ({ ShardId: s.id, ParentShardId: s.parent })) },
      };
    }
    if (command instanceof GetShardIteratorCommand) {
      const error = iteratorError?.(command.input);
      if (error) throw error;
      const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
      const shard = shards.find((s) => s.id === ShardId) as FakeShard;
      const position =
        ShardIteratorType === 'AFTER_SEQUENCE_NUMBER'
          ? shard.records.findIndex((r) => r.dynamodb?.SequenceNumber === SequenceNumber) + 1
          : 0;
      return { ShardIterator: `${ShardId}|${position}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [id, at] = (command.input.ShardIterator as string).split('|');
      const shard = shards.find((s) => s.id === id) as FakeShard;
      const from = Number(at);
      const records = shard.records.slice(from, from + perRead);
      const next = from + records.length;
      const end = shard.closed && next >= shard.records.length;
      return { Records: records, NextShardIterator: end ? undefined : `${id}|${next}` };
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  return { send } as unknown as DynamoDBStreamsClient;
}

const seqs = (event: DynamoDBStreamEvent) =>
  event.Records.map((r) => Number(r.dynamodb?.SequenceNumber) - 100);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs a poller until `total` records have been delivered or given up on; returns the invocations. */
async function runUntil(
  shards: FakeShard[],
  total: number,
  fn: (event: DynamoDBStreamEvent, call: number) => Promise<DynamoDBBatchResponse | undefined>,
  options: Partial<EventSourceMappingOptions> = {},
) {
  const calls: number[][] = [];
  const failures: OnFailureRecord[] = [];
  const controller = new AbortController();
  const poller = new StreamPoller(
    fakeStreams(shards),
    async (event) => {
      calls.push(seqs(event));
      return fn(event, calls.length);
    },
    {
      streamArn: ARN,
      idlePollMs: 1,
      shardRefreshMs: 5,
      retryDelayMs: () => 0,
      onFailure: async (r) => {
        failures.push(r);
      },
      ...options,
    },
  );
  let done = 0;
  poller.on('delivered', (d) => {
    done += d.records;
    if (done >= total) controller.abort();
  });
  await poller.run(controller.signal);
  return { calls, failures };
}

const ok = async () => ({ batchItemFailures: [] });
const oneShard = (n: number, closed = true): FakeShard[] => [
  { id: 'shard-1', records: range(1, n).map(streamRecord), closed },
];

describe('StreamPoller (Lambda event source mapping for DynamoDB streams)', () => {
  it('delivers every record once, in order, in batches of at most batchSize, as Lambda-shaped events', async () => {
    const events: DynamoDBStreamEvent[] = [];
    const { calls } = await runUntil(
      oneShard(7),
      7,
      async (e) => {
        events.push(e);
        return ok();
      },
      { batchSize: 3, maximumBatchingWindowMs: 60_000 },
    );
    // GetRecords returns 2 at a time: the batching window gathers across reads until the batch is full.
    expect(calls).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(events[0]?.Records[0]).toMatchObject({
      eventID: 'e1',
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: ARN,
      dynamodb: {
        ApproximateCreationDateTime: Date.UTC(2025, 10, 25, 20, 0, 1) / 1000,
        NewImage: { blob: { B: 'AQID' } },
        SequenceNumber: '101',
      },
    });
  });

  it('retries a failing batch until it succeeds, bisecting it on each error', async () => {
    const { calls, failures } = await runUntil(
      oneShard(4),
      4,
      async (_e, call) => {
        if (call === 1) throw new Error('S3 put failed');
        return ok();
      },
      { batchSize: 4, maximumBatchingWindowMs: 60_000 },
    );
    expect(calls).toEqual([
      [1, 2, 3, 4],
      [1, 2],
      [3, 4],
    ]);
    expect(failures).toEqual([]);
  });

  it('isolates a poison record by bisection and sends only it to the on-failure destination', async () => {
    const { calls, failures } = await runUntil(
      oneShard(4),
      4,
      async (e) => {
        if (seqs(e).includes(3)) throw new Error('poison');
        return ok();
      },
      { batchSize: 4, maximumBatchingWindowMs: 60_000, maximumRetryAttempts: 2 },
    );
    expect(calls.filter((c) => !c.includes(3)).flat()).toEqual([1, 2, 4]); // everything else got through, in order
    expect(failures).toHaveLength(1);
    expect(failures[0]?.DDBStreamBatchInfo).toMatchObject({
      shardId: 'shard-1',
      startSequenceNumber: '103',
      endSequenceNumber: '103',
      batchSize: 1,
      streamArn: ARN,
    });
    expect(failures[0]?.requestContext).toEqual({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
  });

  it('honours a partial batch response: checkpoints before the lowest failure and retries from there', async () => {
    const { calls } = await runUntil(
      oneShard(5),
      5,
      async (_e, call) =>
        call === 1 ? { batchItemFailures: [{ itemIdentifier: '104' }, { itemIdentifier: '103' }] } : ok(),
      { batchSize: 5, maximumBatchingWindowMs: 60_000, bisectBatchOnFunctionError: false },
    );
    expect(calls).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
  });

  it('treats an unknown item identifier as a failure of the whole batch', async () => {
    const { calls } = await runUntil(
      oneShard(2),
      2,
      async (_e, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: 'nope' }] } : ok()),
      { batchSize: 2, maximumBatchingWindowMs: 60_000, bisectBatchOnFunctionError: false },
    );
    expect(calls).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('a poller killed mid-batch is replaced by one that continues after the last finished batch', async () => {
    const checkpoint: ShardCheckpoint = new MemoryShardCheckpoint();
    const shards = oneShard(6, false);
    const first: number[][] = [];
    const controller = new AbortController();
    const dying = new StreamPoller(
      fakeStreams(shards),
      async (e) => {
        first.push(seqs(e));
        if (first.length === 2) {
          controller.abort(); // the process dies while this invocation runs: its batch is not checkpointed
          throw new Error('killed');
        }
        return ok();
      },
      { streamArn: ARN, batchSize: 2, idlePollMs: 1, checkpoint, retryDelayMs: () => 0 },
    );
    await dying.run(controller.signal);
    expect(first).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const { calls } = await runUntil(shards, 4, ok, { batchSize: 2, checkpoint });
    expect(calls).toEqual([
      [3, 4],
      [5, 6],
    ]);
  });

  it('reads a parent shard to its end before its child', async () => {
    const shards: FakeShard[] = [
      { id: 'child', parent: 'parent', records: [4, 5].map(streamRecord), closed: false },
      { id: 'parent', records: [1, 2, 3].map(streamRecord), closed: true },
    ];
    const { calls } = await runUntil(shards, 5, ok, { batchSize: 10 });
    expect(calls.flat()).toEqual([1, 2, 3, 4, 5]);
  });

  it('retries a failed GetShardIterator, and starts from the oldest record when its checkpoint was trimmed', async () => {
    const checkpoint = new MemoryShardCheckpoint();
    await checkpoint.save(ARN, 'shard-1', { sequenceNumber: '90' }); // older than anything still in the stream
    const trimmed = Object.assign(new Error('trimmed'), { name: 'TrimmedDataAccessException' });
    let throttled = false;
    const streams = fakeStreams(oneShard(3), 2, (input) => {
      if (!throttled) {
        throttled = true;
        return Object.assign(new Error('slow down'), { name: 'LimitExceededException' });
      }
      return input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' ? trimmed : undefined;
    });
    const calls: number[][] = [];
    const controller = new AbortController();
    const poller = new StreamPoller(
      streams,
      async (e) => {
        calls.push(seqs(e));
        controller.abort();
        return ok();
      },
      { streamArn: ARN, checkpoint, idlePollMs: 1, retryDelayMs: () => 0, maximumBatchingWindowMs: 60_000 },
    );
    await poller.run(controller.signal);
    expect(calls).toEqual([[1, 2, 3]]);
  });
});
