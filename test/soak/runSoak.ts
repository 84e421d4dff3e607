import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { errorMessage } from '../../src/core/errors.js';
import {
  ensureBucket,
  ensureTelemetryTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoDb,
  localStreams,
} from '../../src/dev/localAws.js';
import { FileShardCheckpoint } from '../../src/dev/ShardCheckpoint.js';
import { StreamPoller } from '../../src/dev/StreamPoller.js';
import { startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { startS3Server } from '../../src/dev/startS3Server.js';
import { columnIndex, type TableSink } from '../../src/ports/TableSink.js';
import { processPending } from '../../src/process/processPending.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { type Fault, startFaultyProxy } from '../integration/support/faultyProxy.js';
import { CLOUD, captureFunction, listKeys } from '../integration/support/localStack.js';
import { compareWithDynamoDb } from './support/compareWithDynamoDb.js';
import { startTcpForwarder } from './support/tcpForwarder.js';

export interface SoakOptions {
  /** Distinct events put (plus re-deliveries and deletes of some of them). */
  readonly events: number;
  /** Share of S3 requests failed through the faulty proxy (503, lost response, body cut off). */
  readonly s3FaultRate: number;
  readonly directory: string;
  readonly log: (line: string) => void;
}

export interface SoakFigures {
  readonly events: number;
  readonly streamRecords: number;
  readonly putSeconds: number;
  /** Writes per second the putter held against DynamoDB Local (restart included). */
  readonly putPerSecond: number;
  /** From the first put until the table equalled DynamoDB's items. */
  readonly totalSeconds: number;
  /** Stream records per second end to end (first put to the table caught up). */
  readonly endToEndPerSecond: number;
  /** Longest time from a write confirmed by DynamoDB to its row (or delete) committed in the table. */
  readonly longestLagMs: number;
  readonly s3Requests: number;
  readonly s3Failed: number;
  readonly captureRetries: number;
  readonly processRuns: number;
  readonly processFailures: number;
  readonly rows: number;
  /** Time to check the table against a parallel scan of DynamoDB, row by row. */
  readonly compareSeconds: number;
  readonly tableEqualsDynamoDb: boolean;
}

/** Deterministic randomness, so a failing soak can be re-run the same way. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** BatchWriteItem until every request is in, retrying through errors (DynamoDB Local restarting). */
async function writeAll(ddb: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    try {
      const r = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = r.UnprocessedItems?.[table] ?? [];
    } catch {
      await sleep(100);
    }
  }
}

/**
 * The pipeline's local AWS under load and trouble: `events` items are put into DynamoDB Local (a quarter of them
 * later re-delivered with new content, some deleted) while a share of the S3 requests fail at random; the stream
 * poller is killed once mid-batch (after its object was written, before the checkpoint) and restarted from its
 * checkpoint; DynamoDB Local is stopped and started again once on the same database. Process runs every 300 ms.
 * At the end the table must equal DynamoDB's items exactly (content, not just ids).
 */
export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const { log } = options;
  const rand = random(12);
  const table = 'soak-telemetry';
  const bucket = 'soak';
  const dbPath = join(options.directory, 'dynamodb');
  let dynamo = await startDynamoDbLocal({ dbPath });
  const front = await startTcpForwarder(dynamo.port);
  const s3 = await startS3Server({ directory: join(options.directory, 's3'), buckets: [bucket] });
  const faults: Fault[] = ['fail-503', 'lose-response', 'cut-body'];
  const proxy = await startFaultyProxy(s3.endpoint, () =>
    rand() < options.s3FaultRate ? (faults[Math.floor(rand() * faults.length)] as Fault) : 'pass',
  );
  const ddb = localDynamoDb(front.endpoint);
  const streams = localStreams(front.endpoint);
  const sink = await DuckDbSink.open(join(options.directory, 'warehouse.duckdb'));
  const stops: (() => Promise<void> | void)[] = [
    () => ddb.destroy(),
    () => streams.destroy(),
    () => sink.close(),
    () => proxy.close(),
    () => front.close(),
    () => s3.stop(),
    () => dynamo.stop(),
  ];
  try {
    const streamArn = await ensureTelemetryTable(ddb, table);
    const s3Client = (endpoint: string) =>
      new S3Client({
        endpoint,
        forcePathStyle: true,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        maxAttempts: 2, // few SDK retries, so faults reach the pipeline's own retries
      });
    const faulty = s3Client(proxy.endpoint);
    const healthy = s3Client(s3.endpoint);
    stops.unshift(
      () => faulty.destroy(),
      () => healthy.destroy(),
    );
    await ensureBucket(healthy, bucket);
    const store = new S3ObjectStore({ bucket, client: faulty });
    const direct = new S3ObjectStore({ bucket, client: healthy });

    // When each event's latest write was confirmed: the lag of a row is its load commit minus this.
    const writtenAt = new Map<string, number>();
    let longestLagMs = 0;
    const timedSink: TableSink = {
      readColumns: () => sink.readColumns(),
      loadedFiles: (keys) => sink.loadedFiles(keys),
      load: async (batch) => {
        const result = await sink.load(batch);
        const now = Date.now();
        const id = columnIndex(batch, 'event_id') ?? 0;
        const ids = [...batch.rows.map((r) => String(r[id])), ...batch.deletes.map((d) => d.eventId)];
        for (const id of ids) longestLagMs = Math.max(longestLagMs, now - (writtenAt.get(id) ?? now));
        return result;
      },
      close: async () => undefined,
    };

    // Capture: the poller feeding the capture Lambda's handler; killed once, restarted from its checkpoint.
    const capture = captureFunction(store);
    const checkpointPath = join(options.directory, 'stream-checkpoint.json');
    let delivered = 0;
    let captureRetries = 0;
    let killNow = false;
    const startPoller = () => {
      const controller = new AbortController();
      const poller = new StreamPoller(
        streams,
        async (event: DynamoDBStreamEvent) => {
          const result = await capture(event);
          if (killNow) {
            killNow = false;
            controller.abort(); // dies after writing its object, before the checkpoint: a redelivery follows
            throw new Error('poller killed');
          }
          return result;
        },
        {
          streamArn,
          batchSize: 200,
          maximumBatchingWindowMs: 200,
          maximumRetryAttempts: -1,
          idlePollMs: 100,
          retryDelayMs: (attempt) => Math.min(1_000, 50 * 2 ** (attempt - 1)),
          checkpoint: new FileShardCheckpoint(checkpointPath),
        },
      );
      poller.on('delivered', (d) => {
        delivered += d.records;
      });
      poller.on('retry', () => {
        captureRetries += 1;
      });
      return { controller, running: poller.run(controller.signal) };
    };
    let poller = startPoller();

    // Process: every 300 ms, as the schedule would; failed runs (S3 faults) are retried by the next one.
    let processRuns = 0;
    let processFailures = 0;
    let stopProcessing = false;
    const processing = (async () => {
      while (!stopProcessing) {
        try {
          processRuns += 1;
          await processPending({ store, sink: timedSink }, { ...CLOUD });
        } catch (error) {
          processFailures += 1;
          if (processFailures % 20 === 1) log(`process run failed (retried): ${errorMessage(error)}`);
        }
        await sleep(300);
      }
    })();

    // Put: new items in batches of 25, three at a time; after each round 5 earlier items re-delivered, 2 deleted.
    const items = new Map<string, Record<string, unknown>>();
    for (const item of generateSampleItems({
      vehicles: Math.max(1, Math.ceil(options.events / 20)),
      events: options.events,
      seed: 7,
      start: Date.now(),
    })) {
      items.set(String(item.event_id), item);
    }
    const all = [...items.values()];
    const live: string[] = [];
    let streamRecords = 0;
    const started = Date.now();
    const killAt = Math.floor(all.length * 0.35);
    const restartAt = Math.floor(all.length * 0.65);
    let killed = false;
    let restarted = false;
    const lanes = 3; // concurrent BatchWriteItem calls, like several webhook receivers
    let nextReport = 0.1;
    for (let i = 0, chunk = 0; i < all.length; i += 25 * lanes, chunk += 1) {
      const batch = all.slice(i, i + 25 * lanes);
      const put = (item: Record<string, unknown>): WriteRequest => ({
        PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
      });
      await Promise.all(
        Array.from({ length: lanes }, (_, lane) =>
          writeAll(ddb, table, batch.slice(lane * 25, lane * 25 + 25).map(put)),
        ).filter((_, lane) => lane * 25 < batch.length),
      );
      const now = Date.now();
      for (const item of batch) {
        writtenAt.set(String(item.event_id), now);
        live.push(String(item.event_id));
      }
      streamRecords += batch.length;
      if (i / all.length >= nextReport) {
        nextReport += 0.1;
        const seconds = (Date.now() - started) / 1000;
        log(
          `${i} events put in ${seconds.toFixed(0)} s; ${delivered} stream records captured; longest lag ${longestLagMs} ms`,
        );
      }
      if (live.length > 200) {
        const changed = new Set<string>();
        const requests: WriteRequest[] = [];
        while (changed.size < 7)
          changed.add(live[Math.floor(rand() * (live.length - batch.length))] as string);
        [...changed].forEach((id, n) => {
          if (n < 5) {
            const item = items.get(id) as Record<string, unknown>;
            const meta = {
              ...(item.meta as Record<string, unknown>),
              deliveryId: `redelivery-${chunk}-${n}`,
            };
            requests.push({
              PutRequest: { Item: marshall({ ...item, meta }, { removeUndefinedValues: true }) },
            });
          } else {
            requests.push({ DeleteRequest: { Key: marshall({ event_id: id }) } });
            live.splice(live.indexOf(id), 1);
          }
        });
        await writeAll(ddb, table, requests);
        const at = Date.now();
        for (const id of changed) writtenAt.set(id, at);
        streamRecords += requests.length;
      }
      if (!killed && i >= killAt) {
        killed = true;
        killNow = true;
        await poller.running;
        log(`poller killed mid-batch after ${delivered} stream records; restarted from its checkpoint`);
        poller = startPoller();
      }
      if (!restarted && i >= restartAt) {
        restarted = true;
        await dynamo.stop();
        dynamo = await startDynamoDbLocal({ dbPath });
        front.retarget(dynamo.port);
        log(`DynamoDB Local restarted on the same database after ${i + batch.length} events put`);
      }
    }
    const putSeconds = (Date.now() - started) / 1000;
    log(`put ${all.length} events, ${streamRecords} stream records in ${putSeconds.toFixed(1)} s`);

    // Drain: every stream record delivered, then nothing pending in raw/ after a successful process run.
    let lastReport = Date.now();
    const report = (pending: number | string) => {
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      log(
        `draining: ${delivered}/${streamRecords} stream records captured, ${pending} raw object(s) pending, ${processRuns} process runs (${processFailures} failed)`,
      );
    };
    while (delivered < streamRecords) {
      report('?');
      await sleep(200);
    }
    for (;;) {
      const before = processRuns;
      while (processRuns < before + 2) await sleep(100);
      const pending = (await listKeys(direct, CLOUD.rawPrefix)).length;
      if (pending === 0) break;
      report(pending);
    }
    stopProcessing = true;
    await processing;
    const totalSeconds = (Date.now() - started) / 1000;
    poller.controller.abort();
    await poller.running;

    log(`table caught up after ${totalSeconds.toFixed(1)} s; comparing with a parallel scan of DynamoDB`);
    const compared = await compareWithDynamoDb(ddb, table, sink);
    log(
      `compared ${compared.rows} rows with ${compared.items} items in ${compared.seconds.toFixed(1)} s (scan ${compared.scanSeconds.toFixed(1)} s per segment): ${compared.missing} missing, ${compared.extra} extra, ${compared.different} different${compared.examples.length > 0 ? ` (${compared.examples.join(', ')})` : ''}`,
    );
    return {
      events: all.length,
      streamRecords,
      putSeconds,
      putPerSecond: Math.round(streamRecords / putSeconds),
      totalSeconds,
      endToEndPerSecond: Math.round(streamRecords / totalSeconds),
      longestLagMs,
      s3Requests: proxy.stats.requests,
      s3Failed: proxy.stats.failed,
      captureRetries,
      processRuns,
      processFailures,
      rows: compared.rows,
      compareSeconds: compared.seconds,
      tableEqualsDynamoDb:
        compared.missing === 0 &&
        compared.extra === 0 &&
        compared.different === 0 &&
        compared.items === live.length,
    };
  } finally {
    for (const stop of stops) {
      try {
        await stop();
      } catch {
        // best effort: the next stop still runs
      }
    }
  }
}
