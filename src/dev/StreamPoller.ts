import { EventEmitter } from 'node:events';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { errorMessage } from '../core/errors.js';
import { toLambdaRecord } from './lambdaStreamEvent.js';
import { MemoryShardCheckpoint, type ShardCheckpoint, type ShardPosition } from './ShardCheckpoint.js';
import { sleep } from './sleep.js';

/** The function the poller invokes: the capture Lambda's handler. */
export type StreamFunction = (event: DynamoDBStreamEvent) => Promise<unknown>;

/**
 * What Lambda sends to an on-failure destination when it gives up on a batch, as an S3 destination stores it: with
 * the whole invocation event as `payload` (SNS and SQS destinations get the same record without it).
 */
export interface OnFailureRecord {
  readonly requestContext: {
    readonly condition: 'RetryAttemptsExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: { readonly functionError: string };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  /** The event of the last attempt: the records given up on. */
  readonly payload: DynamoDBStreamEvent;
}

/** The settings of a Lambda event source mapping for a DynamoDB stream (same names, same meaning). */
export interface EventSourceMappingOptions {
  readonly streamArn: string;
  readonly region?: string;
  /** BatchSize: most records per invocation (default 100). */
  readonly batchSize?: number;
  /** MaximumBatchingWindowInSeconds, in ms: how long to gather records before invoking (default 0). */
  readonly maximumBatchingWindowMs?: number;
  /** MaximumRetryAttempts: -1 retries until the records expire (AWS default); default here 3. */
  readonly maximumRetryAttempts?: number;
  /** BisectBatchOnFunctionError: split a failing batch in two and retry each half (default true). */
  readonly bisectBatchOnFunctionError?: boolean;
  /** FunctionResponseTypes ['ReportBatchItemFailures'] (default true). */
  readonly reportBatchItemFailures?: boolean;
  /** Where a shard without a checkpoint starts (default TRIM_HORIZON). */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Where each shard got to; survives restarts when file-backed (default: in memory). */
  readonly checkpoint?: ShardCheckpoint;
  /** DestinationConfig.OnFailure: receives the record of a batch given up on (see {@link s3OnFailureDestination}). */
  readonly onFailure?: (record: OnFailureRecord) => Promise<void>;
  /** Pause after an empty read (Lambda polls each shard about four times a second; default 250 ms). */
  readonly idlePollMs?: number;
  /** Pause before retry `attempt` (default: 100 ms doubling, at most 5 s). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** How often the shard list is refreshed (shards roll over; default 10 s). */
  readonly shardRefreshMs?: number;
}

interface PollerEvents {
  /** A batch finished (delivered, or handed to the on-failure destination). */
  delivered: [{ shardId: string; records: number; failed: number }];
  /** A function error; the batch (or its failing part) will be retried. */
  retry: [{ shardId: string; records: number; attempt: number; error: string }];
  /** A shard's reader found nothing new (it is caught up). */
  idle: [{ shardId: string }];
  failure: [OnFailureRecord];
}

interface Unit {
  records: DynamoDBRecord[];
  attempts: number;
}

function seq(record: DynamoDBRecord): string {
  return record.dynamodb?.SequenceNumber ?? '';
}

function arrival(record: DynamoDBRecord | undefined): string {
  const s = record?.dynamodb?.ApproximateCreationDateTime;
  return s === undefined ? '' : new Date(s * 1000).toISOString();
}

/**
 * Emulates Lambda's event source mapping for a DynamoDB stream, against any Streams endpoint (DynamoDB Local):
 * one reader per shard (parents before children), records in order, batches of at most `batchSize` gathered for
 * up to the batching window, one batch in flight per shard, retries with backoff, bisect on error, partial batch
 * responses (checkpoint before the lowest failed sequence number, retry from there), an on-failure record when the
 * retries run out, and a checkpoint per shard so that a restarted poller continues where the last one finished.
 *
 * @example
 * const poller = new StreamPoller(streamsClient, captureHandler, { streamArn, checkpoint });
 * const controller = new AbortController();
 * const running = poller.run(controller.signal);
 * // ... Ctrl-C:
 * controller.abort(); await running;
 */
export class StreamPoller extends EventEmitter<PollerEvents> {
  readonly #options: Required<Omit<EventSourceMappingOptions, 'onFailure'>> &
    Pick<EventSourceMappingOptions, 'onFailure'>;

  constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly fn: StreamFunction,
    options: EventSourceMappingOptions,
  ) {
    super();
    this.#options = {
      region: 'us-east-1',
      batchSize: 100,
      maximumBatchingWindowMs: 0,
      maximumRetryAttempts: 3,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      startingPosition: 'TRIM_HORIZON',
      checkpoint: new MemoryShardCheckpoint(),
      idlePollMs: 250,
      retryDelayMs: (attempt) => Math.min(5_000, 100 * 2 ** (attempt - 1)),
      shardRefreshMs: 10_000,
      ...options,
    };
  }

  /** Polls until the signal aborts; an in-flight invocation finishes (and is checkpointed) before it returns. */
  async run(signal: AbortSignal): Promise<void> {
    const o = this.#options;
    const running = new Map<string, Promise<void>>();
    const finished = new Set<string>();
    const saved = await o.checkpoint.load(o.streamArn);
    for (const [shardId, p] of Object.entries(saved)) if (p.finished) finished.add(shardId);
    let failure: unknown;
    while (!signal.aborted && failure === undefined) {
      let shards: Shard[];
      try {
        shards = await this.#describe();
      } catch (error) {
        this.emit('retry', { shardId: '(describe)', records: 0, attempt: 1, error: errorMessage(error) });
        await sleep(o.retryDelayMs(1), signal);
        continue;
      }
      const known = new Set(shards.map((s) => s.ShardId));
      for (const shard of shards) {
        const id = shard.ShardId;
        if (!id || finished.has(id) || running.has(id)) continue;
        const parent = shard.ParentShardId;
        if (parent && known.has(parent) && !finished.has(parent)) continue; // parents first
        const worker = this.#runShard(shard, saved[id] ?? {}, signal).then(
          (done) => {
            running.delete(id);
            if (done) finished.add(id);
          },
          (error: unknown) => {
            running.delete(id);
            failure ??= error;
          },
        );
        running.set(id, worker);
      }
      await Promise.race([sleep(o.shardRefreshMs, signal), ...running.values()]);
    }
    await Promise.allSettled(running.values());
    if (failure !== undefined) throw failure;
  }

  async #describe(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const r = await this.streams.send(
        new DescribeStreamCommand({ StreamArn: this.#options.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(r.StreamDescription?.Shards ?? []));
      start = r.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  /**
   * A shard iterator after the checkpoint (or at the starting position), retried on service errors. A checkpoint
   * older than the stream's retention (24 h) falls back to the oldest record still there, as Lambda does.
   */
  async #iterator(
    shardId: string,
    after: string | undefined,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const o = this.#options;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const r = await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: o.streamArn,
            ShardId: shardId,
            ...(after
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
              : { ShardIteratorType: o.startingPosition }),
          }),
        );
        return r.ShardIterator;
      } catch (error) {
        this.emit('retry', { shardId, records: 0, attempt, error: errorMessage(error) });
        if ((error as { name?: string }).name === 'TrimmedDataAccessException') after = undefined;
        else await sleep(o.retryDelayMs(attempt), signal);
      }
    }
    return undefined;
  }

  /** Reads one shard to its end (true) or until aborted (false). */
  async #runShard(shard: Shard, position: ShardPosition, signal: AbortSignal): Promise<boolean> {
    const o = this.#options;
    const shardId = shard.ShardId as string;
    let lastFetched = position.sequenceNumber;
    let iterator: string | undefined = await this.#iterator(shardId, lastFetched, signal);
    const buffer: DynamoDBRecord[] = [];
    let windowStart: number | undefined;
    let readErrors = 0;
    while (!signal.aborted) {
      if (iterator && buffer.length < o.batchSize) {
        let fetched = 0;
        try {
          const r = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          readErrors = 0;
          iterator = r.NextShardIterator;
          for (const record of r.Records ?? []) {
            buffer.push(toLambdaRecord(record, o.streamArn, o.region));
            lastFetched = record.dynamodb?.SequenceNumber ?? lastFetched;
            fetched += 1;
          }
        } catch (error) {
          readErrors += 1;
          if ((error as { name?: string }).name === 'ExpiredIteratorException') {
            iterator = await this.#iterator(shardId, lastFetched, signal);
          } else {
            this.emit('retry', { shardId, records: 0, attempt: readErrors, error: errorMessage(error) });
            await sleep(o.retryDelayMs(readErrors), signal);
          }
          continue;
        }
        if (buffer.length === 0) {
          if (!iterator) break;
          this.emit('idle', { shardId });
          await sleep(o.idlePollMs, signal);
          continue;
        }
        windowStart ??= Date.now();
        const waited = Date.now() - windowStart;
        if (iterator && buffer.length < o.batchSize && waited < o.maximumBatchingWindowMs) {
          if (fetched === 0) await sleep(Math.min(o.idlePollMs, o.maximumBatchingWindowMs - waited), signal);
          continue;
        }
      }
      if (buffer.length === 0) break;
      const batch = buffer.splice(0, o.batchSize);
      windowStart = buffer.length > 0 ? Date.now() : undefined;
      if (!(await this.#deliver(shardId, batch, signal))) return false;
    }
    if (signal.aborted || iterator) return false;
    await o.checkpoint.save(o.streamArn, shardId, { sequenceNumber: lastFetched, finished: true });
    return true;
  }

  /** Index of the first record to retry, or -1 when the whole batch succeeded. */
  #firstFailure(records: readonly DynamoDBRecord[], response: unknown): number {
    if (!this.#options.reportBatchItemFailures || typeof response !== 'object' || response === null)
      return -1;
    const failures = (response as Partial<DynamoDBBatchResponse>).batchItemFailures ?? [];
    if (!Array.isArray(failures)) return 0; // a malformed response counts as a failed batch, as in Lambda
    if (failures.length === 0) return -1;
    let lowest = Number.POSITIVE_INFINITY;
    for (const f of failures) {
      const id: unknown = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      const index = typeof id === 'string' && id !== '' ? records.findIndex((r) => seq(r) === id) : -1;
      if (index < 0) return 0; // an empty or unknown identifier fails the whole batch, as in Lambda
      lowest = Math.min(lowest, index);
    }
    return lowest;
  }

  /** Delivers one batch to the end (success or on-failure destination); false when aborted mid-way. */
  async #deliver(shardId: string, records: DynamoDBRecord[], signal: AbortSignal): Promise<boolean> {
    const o = this.#options;
    const queue: Unit[] = [{ records, attempts: 0 }];
    const save = (record: DynamoDBRecord | undefined) =>
      record ? o.checkpoint.save(o.streamArn, shardId, { sequenceNumber: seq(record) }) : Promise.resolve();
    let failed = 0;
    while (queue.length > 0) {
      const unit = queue[0] as Unit;
      let first: number;
      let error = 'batch item failures reported';
      try {
        first = this.#firstFailure(unit.records, await this.fn({ Records: unit.records }));
      } catch (e) {
        first = 0;
        error = errorMessage(e);
      }
      if (first < 0) {
        queue.shift();
        await save(unit.records[unit.records.length - 1]);
        continue;
      }
      if (signal.aborted) return false; // killed mid-batch: nothing after the last checkpoint counts as done
      if (first > 0) {
        await save(unit.records[first - 1]);
        unit.records = unit.records.slice(first);
      }
      unit.attempts += 1;
      this.emit('retry', { shardId, records: unit.records.length, attempt: unit.attempts, error });
      if (o.maximumRetryAttempts >= 0 && unit.attempts > o.maximumRetryAttempts) {
        queue.shift();
        failed += unit.records.length;
        await this.#giveUp(shardId, unit, error);
        await save(unit.records[unit.records.length - 1]);
        continue;
      }
      if (o.bisectBatchOnFunctionError && unit.records.length > 1) {
        const half = Math.ceil(unit.records.length / 2);
        queue.splice(
          0,
          1,
          { records: unit.records.slice(0, half), attempts: unit.attempts },
          { records: unit.records.slice(half), attempts: unit.attempts },
        );
      }
      await sleep(o.retryDelayMs(unit.attempts), signal);
      if (signal.aborted) return false;
    }
    this.emit('delivered', { shardId, records: records.length, failed });
    return true;
  }

  async #giveUp(shardId: string, unit: Unit, error: string): Promise<void> {
    const o = this.#options;
    const first = unit.records[0];
    const last = unit.records[unit.records.length - 1];
    const record: OnFailureRecord = {
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: unit.attempts },
      responseContext: { functionError: error },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first ? seq(first) : '',
        endSequenceNumber: last ? seq(last) : '',
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: unit.records.length,
        streamArn: o.streamArn,
      },
      payload: { Records: unit.records },
    };
    this.emit('failure', record);
    await o.onFailure?.(record);
  }
}
