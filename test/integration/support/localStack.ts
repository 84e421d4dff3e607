import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import { S3ObjectStore } from '../../../src/adapters/s3/S3ObjectStore.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { makeCaptureHandler } from '../../../src/capture/makeCaptureHandler.js';
import { unmarshallImage } from '../../../src/capture/unmarshallImage.js';
import { padSequence, type RawRecord } from '../../../src/core/model/RawRecord.js';
import {
  ensureBucket,
  ensureTelemetryTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../../../src/dev/localAws.js';
import type { ShardCheckpoint } from '../../../src/dev/ShardCheckpoint.js';
import { type EventSourceMappingOptions, StreamPoller } from '../../../src/dev/StreamPoller.js';
import type { LocalAws } from '../../../src/dev/startLocalAws.js';
import type { ObjectStore } from '../../../src/ports/ObjectStore.js';
import type { ProcessSummary } from '../../../src/process/ProcessSummary.js';
import { processPending } from '../../../src/process/processPending.js';

export const CLOUD = {
  rawPrefix: 'telemetry/',
  archivePrefix: 'archive/telemetry/',
  quarantinePrefix: 'quarantine/telemetry/',
} as const;

/** A fresh table (with stream) and bucket on the shared local AWS, so scenarios do not see each other. */
export async function scenario(aws: LocalAws, options: { s3Endpoint?: string; maxAttempts?: number } = {}) {
  const id = randomUUID().slice(0, 8);
  const table = `telemetry-${id}`;
  const bucket = `telemetry-${id}`;
  const streamArn = await ensureTelemetryTable(aws.ddb, table);
  const clients: S3Client[] = [];
  const client = (endpoint: string, maxAttempts?: number) => {
    const c = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      ...(maxAttempts ? { maxAttempts } : {}),
    });
    clients.push(c);
    return c;
  };
  await ensureBucket(client(aws.s3.endpoint), bucket);
  /** Through the proxy when one is given. */
  const store = new S3ObjectStore({
    bucket,
    client: client(options.s3Endpoint ?? aws.s3.endpoint, options.maxAttempts),
  });
  /** Always direct: for assertions. */
  const direct = new S3ObjectStore({ bucket, client: client(aws.s3.endpoint) });
  return {
    table,
    bucket,
    streamArn,
    store,
    direct,
    close: () => {
      for (const c of clients) c.destroy();
    },
  };
}

export function captureFunction(store: ObjectStore) {
  return makeCaptureHandler({
    store,
    rawPrefix: CLOUD.rawPrefix,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
}

/**
 * Runs the poller until `records` stream records have been handled (delivered or given up on), returns the
 * events the function saw. `fn` wraps the capture function (fault injection, recording).
 */
export async function pollUntil(
  aws: LocalAws,
  streamArn: string,
  records: number,
  fn: (event: DynamoDBStreamEvent) => Promise<unknown>,
  options: Partial<EventSourceMappingOptions> & {
    checkpoint?: ShardCheckpoint;
    signal?: AbortController;
  } = {},
): Promise<{ handled: number; retries: number }> {
  const controller = options.signal ?? new AbortController();
  const poller = new StreamPoller(aws.streams, fn, {
    streamArn,
    batchSize: 10,
    idlePollMs: 20,
    retryDelayMs: () => 10,
    maximumRetryAttempts: -1,
    ...options,
  });
  let handled = 0;
  let retries = 0;
  poller.on('retry', () => {
    retries += 1;
  });
  poller.on('delivered', (d) => {
    handled += d.records;
    if (handled >= records) controller.abort();
  });
  await poller.run(controller.signal);
  return { handled, retries };
}

/** Processes until nothing is pending; runs that fail (injected faults) are retried like the next schedule would. */
export async function processAll(store: ObjectStore, sink: DuckDbSink, maxRuns = 50) {
  const runs: (ProcessSummary | Error)[] = [];
  for (let i = 0; i < maxRuns; i++) {
    try {
      runs.push(await processPending({ store, sink }, { ...CLOUD, maxEventsPerBatch: 25 }));
      let pending = false;
      for await (const _ of store.list(CLOUD.rawPrefix)) pending = true;
      if (!pending) return runs;
    } catch (error) {
      runs.push(error as Error);
    }
  }
  throw new Error(`still pending after ${maxRuns} process runs: ${runs.map(String).join('; ')}`);
}

/** JSON with object keys sorted: DynamoDB does not keep the order of map keys, so text order is not content. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      return { json: canonical(JSON.parse(value)) };
    } catch {
      return value;
    }
  }
  return value;
}

/** The table's event_ids and a checksum over every row's content (pipeline bookkeeping columns excluded). */
export async function tableState(sink: DuckDbSink) {
  const reader = await sink.connection.runAndReadAll(
    `SELECT COLUMNS(c -> c NOT LIKE 'pipeline_%') FROM telemetry.car_telemetry_flattened ORDER BY event_id`,
  );
  const rows = reader.getRowObjectsJson().map((row) => {
    const present = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null));
    return JSON.stringify(canonical(present));
  });
  return {
    eventIds: reader.getRowObjectsJson().map((r) => String(r.event_id)),
    checksum: createHash('sha256').update(rows.join('\n')).digest('hex'),
    count: rows.length,
  };
}

/** Every item the table holds now (a full Scan), as plain objects. */
export async function scanItems(ddb: LocalAws['ddb'], table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start as never } : {}) }),
    );
    for (const item of page.Items ?? []) items.push(unmarshallImage(item as Record<string, unknown>));
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return items;
}

/**
 * The expected table: what DynamoDB holds now, flattened by the same core through a separate in-memory pipeline.
 */
export async function expectedState(aws: Pick<LocalAws, 'ddb'>, table: string) {
  const items = await scanItems(aws.ddb, table);
  const store = new MemoryObjectStore();
  const records: RawRecord[] = items.map((item, i) => ({
    eventName: 'INSERT',
    eventID: `expected-${i}`,
    sequenceNumber: padSequence(i + 1),
    approximateCreationTime: Date.UTC(2025, 10, 25, 20),
    keys: { event_id: item.event_id },
    newImage: item,
    userIdentity: null,
  }));
  await captureBatch(records, store, { rawPrefix: CLOUD.rawPrefix, source: 'expected' });
  const sink = await DuckDbSink.open(':memory:');
  try {
    await processPending({ store, sink }, CLOUD);
    return await tableState(sink);
  } finally {
    await sink.close();
  }
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}
