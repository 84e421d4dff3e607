import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { TransientError } from '../../src/core/errors.js';
import { putSampleItems } from '../../src/dev/putSampleItems.js';
import { FileShardCheckpoint } from '../../src/dev/ShardCheckpoint.js';
import { type LocalAws, startLocalAws } from '../../src/dev/startLocalAws.js';
import type { TableSink } from '../../src/ports/TableSink.js';
import { processPending } from '../../src/process/processPending.js';
import { readFixture } from '../support/fixtures.js';
import { startFaultyProxy } from './support/faultyProxy.js';
import {
  CLOUD,
  captureFunction,
  expectedState,
  listKeys,
  pollUntil,
  processAll,
  scenario,
  tableState,
} from './support/localStack.js';

let aws: LocalAws;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-aws-'));
  aws = await startLocalAws({ directory: dir, inMemory: true });
});

afterAll(async () => {
  await aws?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The same event_ids, and the same content row by row, as the table built straight from a DynamoDB scan. */
async function expectTableEqualsDynamoDb(sink: DuckDbSink, table: string): Promise<void> {
  const expected = await expectedState(aws, table);
  const actual = await tableState(sink);
  expect(actual.eventIds).toEqual(expected.eventIds);
  expect(actual.checksum).toBe(expected.checksum);
  expect(actual.count).toBeGreaterThan(0);
}

describe('the AWS stages on a local AWS (DynamoDB Local streams + S3 server)', () => {
  it('insert, update and delete in DynamoDB: the table shows exactly the latest state', async () => {
    const s = await scenario(aws);
    const sink = await DuckDbSink.open(':memory:');
    try {
      const put = await putSampleItems(aws.ddb, s.table, {
        count: 40,
        seed: 11,
        updateEvery: 4,
        deleteEvery: 7,
      });
      // Also an UpdateItem (MODIFY with a changed attribute) and a delete of an item written in the same test.
      const template = readFixture('seed/dynamodb-item-example.json') as Record<string, unknown>;
      await aws.ddb.send(
        new PutItemCommand({ TableName: s.table, Item: marshall({ ...template, event_id: 'manual-1' }) }),
      );
      await aws.ddb.send(
        new UpdateItemCommand({
          TableName: s.table,
          Key: marshall({ event_id: 'manual-1' }),
          UpdateExpression: 'SET car_timezone = :tz',
          ExpressionAttributeValues: marshall({ ':tz': 'Europe/Helsinki' }),
        }),
      );
      await aws.ddb.send(
        new PutItemCommand({ TableName: s.table, Item: marshall({ ...template, event_id: 'manual-2' }) }),
      );
      await aws.ddb.send(
        new DeleteItemCommand({ TableName: s.table, Key: marshall({ event_id: 'manual-2' }) }),
      );

      await pollUntil(aws, s.streamArn, put.streamRecords + 4, captureFunction(s.store));
      const runs = await processAll(s.store, sink);

      await expectTableEqualsDynamoDb(sink, s.table);
      expect((await tableState(sink)).count).toBe(put.remaining.length + 1);
      const tz = await sink.connection.runAndReadAll(
        `SELECT car_timezone FROM telemetry.car_telemetry_flattened WHERE event_id = 'manual-1'`,
      );
      expect(tz.getRows()).toEqual([['Europe/Helsinki']]);
      expect(runs.every((r) => !(r instanceof Error))).toBe(true);
      expect(await listKeys(s.direct, CLOUD.rawPrefix)).toEqual([]);
    } finally {
      await sink.close();
      s.close();
    }
  });

  it('the same batch delivered twice (before and after processing): no duplicates, nothing lost', async () => {
    const s = await scenario(aws);
    const sink = await DuckDbSink.open(':memory:');
    try {
      const put = await putSampleItems(aws.ddb, s.table, { count: 30, seed: 12 });
      const capture = captureFunction(s.store);
      const seen: DynamoDBStreamEvent[] = [];
      await pollUntil(aws, s.streamArn, put.streamRecords, async (event) => {
        seen.push(structuredClone(event));
        return capture(event);
      });
      const objects = await listKeys(s.direct, CLOUD.rawPrefix);
      for (const event of seen) await capture(structuredClone(event)); // redelivered before processing
      expect(await listKeys(s.direct, CLOUD.rawPrefix)).toEqual(objects); // same keys, rewritten

      await processAll(s.store, sink);
      const once = await tableState(sink);
      for (const event of seen) await capture(structuredClone(event)); // redelivered after processing
      const again = await processPending({ store: s.store, sink }, CLOUD);
      expect(again).toMatchObject({ objectsRecovered: objects.length, inserted: 0, updated: 0, deleted: 0 });

      expect(await tableState(sink)).toEqual(once);
      await expectTableEqualsDynamoDb(sink, s.table);
    } finally {
      await sink.close();
      s.close();
    }
  });

  it('S3 failing mid-run (refused requests and lost responses): retries end in the exact table', async () => {
    // For a while, every 5th request is refused with 503 and every 7th is carried out but its response lost;
    // after 16 faults S3 is healthy again (so that the test ends).
    let faults = 0;
    const proxy = await startFaultyProxy(aws.s3.endpoint, (n) => {
      const fault = faults >= 16 ? 'pass' : n % 5 === 0 ? 'fail-503' : n % 7 === 0 ? 'lose-response' : 'pass';
      if (fault !== 'pass') faults += 1;
      return fault;
    });
    // One attempt per request, so that faults reach the pipeline instead of being absorbed by SDK retries.
    const s = await scenario(aws, { s3Endpoint: proxy.endpoint, maxAttempts: 1 });
    const sink = await DuckDbSink.open(':memory:');
    try {
      const put = await putSampleItems(aws.ddb, s.table, { count: 60, seed: 13 });
      const polled = await pollUntil(aws, s.streamArn, put.streamRecords, captureFunction(s.store), {
        batchSize: 8,
      });
      const runs = await processAll(s.store, sink);

      expect(proxy.stats.failed).toBeGreaterThan(0);
      expect(polled.retries).toBeGreaterThan(0); // capture failed and was retried
      expect(runs.some((r) => r instanceof TransientError)).toBe(true); // process failed and the next run continued
      expect(runs.some((r) => r instanceof Error && !(r instanceof TransientError))).toBe(false);

      await expectTableEqualsDynamoDb(sink, s.table);
      expect(await listKeys(s.direct, CLOUD.rawPrefix)).toEqual([]);
      expect(await listKeys(s.direct, CLOUD.quarantinePrefix)).toEqual([]); // a network error is not bad content
    } finally {
      await sink.close();
      s.close();
      await proxy.close();
    }
  });

  it('a poller killed mid-stream and restarted from its checkpoint: no loss, no duplicates', async () => {
    const s = await scenario(aws);
    const sink = await DuckDbSink.open(':memory:');
    const checkpointPath = join(dir, `checkpoint-${s.table}.json`);
    try {
      const put = await putSampleItems(aws.ddb, s.table, { count: 50, seed: 14 });
      const capture = captureFunction(s.store);
      const killer = new AbortController();
      let calls = 0;
      const first = await pollUntil(
        aws,
        s.streamArn,
        put.streamRecords,
        async (event) => {
          calls += 1;
          const result = await capture(event);
          if (calls === 3) {
            killer.abort(); // dies after writing the object, before the checkpoint is saved
            throw new Error('killed');
          }
          return result;
        },
        { checkpoint: new FileShardCheckpoint(checkpointPath), signal: killer },
      );
      expect(first.handled).toBe(20); // two batches of 10 finished and were checkpointed
      const second = await pollUntil(aws, s.streamArn, put.streamRecords - 20, capture, {
        checkpoint: new FileShardCheckpoint(checkpointPath),
      });
      expect(second.handled).toBe(put.streamRecords - 20);

      await processAll(s.store, sink);
      await expectTableEqualsDynamoDb(sink, s.table);
    } finally {
      await sink.close();
      s.close();
    }
  });

  it('two process runs at once (single-writer setting violated): no double load, no lost object', async () => {
    const s = await scenario(aws);
    const sink = await DuckDbSink.open(':memory:');
    try {
      const put = await putSampleItems(aws.ddb, s.table, { count: 60, seed: 15 });
      await pollUntil(aws, s.streamArn, put.streamRecords, captureFunction(s.store), { batchSize: 5 });
      const captured = await listKeys(s.direct, CLOUD.rawPrefix);

      // Two writers on one warehouse: each transaction runs alone, like commits to one Delta table.
      const writer = sharedWarehouse(sink);
      const [a, b] = [writer(), writer()];
      const options = { ...CLOUD, maxEventsPerBatch: 10 };
      const results = await Promise.allSettled([
        processPending({ store: s.store, sink: a }, options),
        processPending({ store: s.store, sink: b }, options),
      ]);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TransientError); // "already loaded by another writer"
      }
      await processAll(s.store, sink); // the next scheduled run cleans up whatever a failed run left

      const ledger = await sink.connection.runAndReadAll(
        'SELECT file FROM telemetry._loaded_files ORDER BY file',
      );
      expect(ledger.getRows().map(([f]) => String(f))).toEqual(captured); // every object loaded exactly once
      const archived = await listKeys(s.direct, CLOUD.archivePrefix);
      expect(archived).toEqual(captured.map((k) => k.replace(CLOUD.rawPrefix, CLOUD.archivePrefix)));
      expect(await listKeys(s.direct, CLOUD.rawPrefix)).toEqual([]);
      await expectTableEqualsDynamoDb(sink, s.table);
    } finally {
      await sink.close();
      s.close();
    }
  });
});

/** Handles on one warehouse whose calls run one at a time across all handles (one transaction at a time). */
function sharedWarehouse(sink: TableSink): () => TableSink {
  let lock: Promise<unknown> = Promise.resolve();
  const run = <T>(f: () => Promise<T>): Promise<T> => {
    const next = lock.then(f, f);
    lock = next.catch(() => undefined);
    return next;
  };
  return () => ({
    readColumns: () => run(() => sink.readColumns()),
    loadedFiles: (keys) => run(() => sink.loadedFiles(keys)),
    load: (batch) => run(() => sink.load(batch)),
    close: async () => undefined,
  });
}
