import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { makeCaptureHandler } from '../capture/makeCaptureHandler.js';
import { SINKS } from '../compose/openSink.js';
import { storageEnv } from '../config/storageConfig.js';
import { errorMessage } from '../core/errors.js';
import type { ProcessSummary } from '../process/ProcessSummary.js';
import { processPending } from '../process/processPending.js';
import { disableStream } from './localAws.js';
import { FileShardCheckpoint } from './ShardCheckpoint.js';
import { StreamPoller } from './StreamPoller.js';
import { s3OnFailureDestination } from './s3OnFailureDestination.js';
import { sleep } from './sleep.js';
import { startLocalAws } from './startLocalAws.js';

export interface DevStackOptions {
  /** Everything lives here: dev/ (DynamoDB Local database, S3 objects, stream checkpoint) and the DuckDB file. */
  readonly dataDir: string;
  readonly warehouse: string;
  readonly processEveryMs: number;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  /**
   * false (`telemetry dev --no-stream`): the table's stream is off and no poller runs, so items written now are
   * history that only `telemetry backfill` brings in; the next start with the stream on begins a new stream.
   */
  readonly stream?: boolean;
  readonly log: (line: string) => void;
  readonly onProcessed?: (summary: ProcessSummary) => void;
  /** Called once everything is up, with what a client needs to reach it. */
  readonly onReady?: (info: DevEndpoints) => void;
  readonly signal: AbortSignal;
  /**
   * Fault injection for tests (`TELEMETRY_FAULT`): called with `before-capture-object` before each capture
   * invocation (a throw is a failed invocation: retried, then given up on) and `after-capture-object` after it wrote.
   */
  readonly fault?: (step: string) => void;
}

/** Written to DATA/dev/endpoints.json while `telemetry dev` runs, so `telemetry dev put` finds the table. */
export interface DevEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  readonly table: string;
  readonly bucket: string;
  /** Where capture's given-up batches land, as in the stack (`telemetry replay failed-records --failed-bucket`). */
  readonly failedBucket: string;
  readonly streamArn: string;
  /** The `telemetry dev` process and its two servers. */
  readonly pid: number;
  readonly dynamoDbPid: number | undefined;
  readonly s3Pid: number | undefined;
}

export function endpointsFile(dataDir: string): string {
  return join(dataDir, 'dev', 'endpoints.json');
}

/**
 * `telemetry dev`: DynamoDB Local + S3 server, the capture handler behind an emulated event source mapping, and
 * the process stage on an interval loading DATA/warehouse.duckdb. Returns after the signal aborts and everything
 * has stopped (the in-flight batch and process run finish first).
 */
export async function runDevStack(options: DevStackOptions): Promise<void> {
  const { log } = options;
  // Stops everything when the user aborts, and the process loop when the poller fails.
  const stopping = new AbortController();
  const signal = stopping.signal;
  const onAbort = () => stopping.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) stopping.abort();
  const devDir = join(options.dataDir, 'dev');
  const cloud = storageEnv.parse({ TELEMETRY_BUCKET: 'dev' });
  const prefixes = {
    rawPrefix: cloud.TELEMETRY_RAW_PREFIX,
    archivePrefix: cloud.TELEMETRY_ARCHIVE_PREFIX,
    quarantinePrefix: cloud.TELEMETRY_QUARANTINE_PREFIX,
  };
  const aws = await startLocalAws({ directory: devDir });
  const streaming = options.stream ?? true;
  const info: DevEndpoints = {
    dynamodb: aws.dynamoDb.endpoint,
    s3: aws.s3.endpoint,
    table: aws.table,
    bucket: aws.bucket,
    failedBucket: aws.failedBucket,
    streamArn: aws.streamArn,
    pid: process.pid,
    dynamoDbPid: aws.dynamoDb.pid,
    s3Pid: aws.s3.pid,
  };
  try {
    if (!streaming) await disableStream(aws.ddb, aws.table);
    await mkdir(devDir, { recursive: true });
    await writeFile(endpointsFile(options.dataDir), `${JSON.stringify(info, null, 2)}\n`);
    log(
      `DynamoDB Local  ${info.dynamodb}  table ${info.table} ` +
        (streaming
          ? '(stream NEW_AND_OLD_IMAGES)'
          : '(stream OFF: nothing is captured; telemetry backfill loads it)'),
    );
    log(
      `S3 server       ${info.s3}  bucket ${info.bucket} (raw objects under ${prefixes.rawPrefix}), ` +
        `failed records in ${info.failedBucket}`,
    );
    if (streaming)
      log(
        `stream poller   batch size ${options.batchSize}, batching window ${options.batchingWindowMs} ms -> capture handler`,
      );
    log(`process         every ${options.processEveryMs} ms -> ${options.warehouse}`);
    options.onReady?.(info);

    const store = aws.store();
    const failedRecords = s3OnFailureDestination(aws.store({ bucket: aws.failedBucket }), aws.streamArn);
    const capture = makeCaptureHandler({
      store,
      rawPrefix: prefixes.rawPrefix,
      logger: new Logger({ serviceName: 'telemetry-capture', logLevel: 'ERROR' }),
    });
    let captured = 0;
    const invoke = async (event: Parameters<typeof capture>[0]) => {
      options.fault?.('before-capture-object');
      const result = await capture(event);
      options.fault?.('after-capture-object'); // written, not yet checkpointed: the worst moment to die
      return result;
    };
    const poller = new StreamPoller(aws.streams, invoke, {
      streamArn: aws.streamArn,
      batchSize: options.batchSize,
      maximumBatchingWindowMs: options.batchingWindowMs,
      checkpoint: new FileShardCheckpoint(join(devDir, 'stream-checkpoint.json')),
      onFailure: async (record) => {
        const key = await failedRecords(record);
        log(
          `capture gave up on ${record.DDBStreamBatchInfo.batchSize} record(s): s3://${aws.failedBucket}/${key}; ` +
            `bring them back with: telemetry replay failed-records --bucket ${aws.bucket} ` +
            `--failed-bucket ${aws.failedBucket} --endpoint ${aws.s3Endpoint}`,
        );
      },
    });
    poller.on('delivered', (d) => {
      captured += d.records - d.failed;
      log(`captured ${d.records} stream record(s) from ${d.shardId}`);
    });
    poller.on('retry', (r) => log(`capture retry ${r.attempt} (${r.records} record(s)): ${r.error}`));

    // Runs when capture wrote something or raw objects are pending (a replay or backfill into the bucket).
    const pending = async (): Promise<boolean> => {
      for await (const _ of store.list(prefixes.rawPrefix)) return true;
      return false;
    };
    const processLoop = async (): Promise<void> => {
      let seen = -1;
      while (!signal.aborted) {
        if (captured !== seen || (await pending().catch(() => false))) {
          seen = captured;
          try {
            const sink = await SINKS.duckdb({ warehouse: options.warehouse });
            try {
              const summary = await processPending({ store, sink }, prefixes);
              if (summary.objects + summary.objectsRecovered + summary.objectsQuarantined > 0) {
                options.onProcessed?.(summary);
              }
            } finally {
              await sink.close();
            }
          } catch (error) {
            seen = -1; // try again next round
            log(`process failed (retrying in ${options.processEveryMs} ms): ${errorMessage(error)}`);
          }
        }
        await sleep(options.processEveryMs, signal);
      }
    };
    const polling = streaming ? poller.run(signal).finally(() => stopping.abort()) : Promise.resolve();
    await Promise.all([polling, processLoop()]);
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await rm(endpointsFile(options.dataDir), { force: true });
    await aws.stop();
  }
}
