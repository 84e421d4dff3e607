import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { makeCaptureHandler } from '../../src/capture/makeCaptureHandler.js';
import { LOCAL_RAW_PREFIX } from '../../src/config/prefixes.js';
import { localDynamoDb, localStreams } from '../../src/dev/localAws.js';
import { putSampleItems } from '../../src/dev/putSampleItems.js';
import { StreamPoller } from '../../src/dev/StreamPoller.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { cli, cliProcess, tableContent, tempDir } from '../support/cli.js';
import { expectedState, scanItems, tableState } from './support/localStack.js';

let ddb: RunningDynamoDbLocal;
let client: DynamoDBClient;
let streams: DynamoDBStreamsClient;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = localDynamoDb(ddb.endpoint);
  streams = localStreams(ddb.endpoint);
}, 60_000);
afterAll(async () => {
  client?.destroy();
  streams?.destroy();
  await ddb?.stop();
});

const TABLE = 'history-and-stream';
/** The columns compared value by value through `telemetry query` (all columns are compared by checksum too). */
const KEY_COLUMNS = ['event_id', 'record_type', 'smartcar_user_id', 'car_timezone'] as const;

/** A table without a stream, like one that held months of events before this pipeline was deployed. */
async function createTableWithoutStream(table: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'event_id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'event_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

/** Turns the stream on (the deploy): it carries only what changes from now on. */
async function enableStream(table: string): Promise<string> {
  await client.send(
    new UpdateTableCommand({
      TableName: table,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const arn = (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn;
  if (!arn) throw new Error(`no stream on ${table}`);
  return arn;
}

/** The capture function behind an emulated event source mapping, writing into the data folder's raw prefix. */
function startCapture(streamArn: string, dataDir: string) {
  const controller = new AbortController();
  const capture = makeCaptureHandler({
    store: new FsObjectStore(dataDir),
    rawPrefix: LOCAL_RAW_PREFIX,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  const poller = new StreamPoller(streams, capture, {
    streamArn,
    batchSize: 10,
    idlePollMs: 20,
    retryDelayMs: () => 10,
    maximumRetryAttempts: -1,
  });
  let handled = 0;
  const waiters: { records: number; resolve: () => void }[] = [];
  poller.on('delivered', (d) => {
    handled += d.records;
    for (const w of waiters.filter((x) => handled >= x.records)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const running = poller.run(controller.signal);
  return {
    /** Resolves once `records` stream records have been captured in all. */
    captured: (records: number) =>
      new Promise<void>((resolve) => {
        if (handled >= records) resolve();
        else waiters.push({ records, resolve });
      }),
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

/** Resolves once the backfill has written its first segment checkpoint: the scan is under way. */
async function scanStarted(dir: string, done: () => boolean): Promise<void> {
  while (!done() && !(existsSync(dir) && readdirSync(dir).length > 0))
    await new Promise((r) => setTimeout(r, 20));
}

describe('backfill alongside a flowing stream (DynamoDB Local with streams -> data folder)', () => {
  it('items from before the stream, plus inserts, updates and deletes during the backfill: the table ends exact, and a second backfill changes nothing', async () => {
    // Prepare: history written before the stream exists (the stream can never deliver it), then the stream on
    const data = tempDir();
    const started = Date.now();
    await createTableWithoutStream(TABLE);
    const history = await putSampleItems(client, TABLE, { count: 240, seed: 31 });
    const capture = startCapture(await enableStream(TABLE), data.path);
    const backfillArgs = [
      'backfill',
      '--table',
      TABLE,
      '--endpoint',
      ddb.endpoint,
      '--segments',
      '3',
      '--page-items',
      '10',
      '--max-rcu',
      '40',
      '--data-dir',
      data.path,
    ];
    try {
      // Act: the backfill (a real child process, paced by --max-rcu) while traffic flows through the stream
      let backfillExited = false;
      const backfillStarted = Date.now();
      const backfill = cliProcess(backfillArgs).finally(() => {
        backfillExited = true;
      });
      await scanStarted(join(data.path, 'backfill', 'scan', TABLE), () => backfillExited);
      const old = [...history.remaining].sort();
      const updated = old.filter((_, i) => i % 9 === 0);
      const deleted = old.filter((_, i) => i % 9 === 4);
      let modified = 0; // an update that changes nothing writes no stream record
      for (const id of updated) {
        const r = await client.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: marshall({ event_id: id }),
            UpdateExpression: 'SET car_timezone = :tz',
            ExpressionAttributeValues: marshall({ ':tz': 'Europe/Helsinki' }),
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        if (r.Attributes?.car_timezone?.S !== 'Europe/Helsinki') modified += 1;
      }
      for (const id of deleted)
        await client.send(new DeleteItemCommand({ TableName: TABLE, Key: marshall({ event_id: id }) }));
      const fresh = await putSampleItems(client, TABLE, { count: 40, seed: 32 });
      const trafficDuringBackfill = !backfillExited;
      const first = await backfill;
      const backfillMs = Date.now() - backfillStarted;
      await capture.captured(modified + deleted.length + fresh.streamRecords);
      await capture.stop();
      const processed = await cli(['process', '--data-dir', data.path, '--json']);
      const elapsedMs = Date.now() - started;
      const queried = await cli([
        'query',
        '--data-dir',
        data.path,
        '--json',
        `SELECT ${KEY_COLUMNS.join(', ')} FROM telemetry.car_telemetry_flattened ORDER BY event_id`,
      ]);
      const content = await tableContent(join(data.path, 'warehouse.duckdb'));
      // A second backfill from a fresh snapshot: every item read again, nothing changes
      rmSync(join(data.path, 'backfill', 'scan', TABLE), { recursive: true });
      const second = await cli([...backfillArgs.filter((a) => a !== '--max-rcu' && a !== '40'), '--json']);

      // Assess
      expect(trafficDuringBackfill).toBe(true);
      expect(first.signal).toBeNull();
      expect(first.code).toBe(0);
      expect(processed.code).toBe(0);
      const dynamo = (await scanItems(client, TABLE))
        .map((item) => Object.fromEntries(KEY_COLUMNS.map((c) => [c, item[c] ?? null])))
        .sort((a, b) => String(a.event_id).localeCompare(String(b.event_id)));
      expect(JSON.parse(queried.stdout)).toEqual(dynamo);
      expect(dynamo.length).toBe(history.remaining.length - deleted.length + fresh.remaining.length);
      expect(dynamo.filter((r) => r.car_timezone === 'Europe/Helsinki').length).toBeGreaterThan(0);
      // Every column of every row, flattened from a scan of DynamoDB by the same core
      const sink = await DuckDbSink.open(join(data.path, 'warehouse.duckdb'));
      try {
        expect(await tableState(sink)).toEqual(await expectedState({ ddb: client }, TABLE));
      } finally {
        await sink.close();
      }
      expect(second.code).toBe(0);
      const again = JSON.parse(second.stdout);
      expect(again.scan).toMatchObject({ items: dynamo.length, complete: true, resumed: false });
      expect(again.process).toMatchObject({ records: dynamo.length, inserted: 0, updated: 0, deleted: 0 });
      expect(again.process.unchanged + again.process.skipped).toBe(dynamo.length);
      expect(await tableContent(join(data.path, 'warehouse.duckdb'))).toEqual(content);
      console.info(
        `backfill e2e: ${history.remaining.length} items before the stream; ${modified} updates, ${deleted.length} deletes, ${fresh.streamRecords} new stream records during the backfill (${backfillMs} ms at --max-rcu 40); table exact ${elapsedMs} ms after the first put`,
      );
    } finally {
      await capture.stop().catch(() => undefined);
      data.cleanup();
    }
  }, 180_000);
});
