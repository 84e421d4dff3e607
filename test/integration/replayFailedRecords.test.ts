import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { ensureBucket, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/dev/localAws.js';
import { MemoryShardCheckpoint } from '../../src/dev/ShardCheckpoint.js';
import type { OnFailureRecord } from '../../src/dev/StreamPoller.js';
import { type LocalAws, startLocalAws } from '../../src/dev/startLocalAws.js';
import { cli } from '../support/cli.js';
import { readFixture } from '../support/fixtures.js';
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
  dir = mkdtempSync(join(tmpdir(), 'replay-failed-'));
  aws = await startLocalAws({ directory: dir, inMemory: true });
});

afterAll(async () => {
  await aws?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What Lambda writes to an S3 on-failure destination: the invocation record plus the whole event as `payload`,
 * under `aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>` (services-dynamodb-errors). The
 * local poller hands over the record without the payload (as an SNS/SQS destination would get it): the test adds
 * the event of the attempt Lambda gave up on.
 */
function s3DestinationObject(record: OnFailureRecord, event: DynamoDBStreamEvent) {
  const at = new Date(record.timestamp);
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  const stamp = at.toISOString().slice(0, 19).replaceAll(':', '.');
  const key = `aws/lambda/${randomUUID()}/${record.DDBStreamBatchInfo.shardId}/${day}/${stamp}-${randomUUID()}`;
  return { key, body: Buffer.from(JSON.stringify({ ...record, payload: event })) };
}

describe('telemetry replay failed-records on the local AWS (DynamoDB Local streams + S3 server)', () => {
  it('a batch given up on during an S3 outage (INSERT, MODIFY, REMOVE) reaches the table exactly once', async () => {
    // Prepare: two items captured and loaded normally.
    const s = await scenario(aws);
    const failedBucket = `${s.bucket}-failed`;
    const admin = new S3Client({
      endpoint: aws.s3.endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    await ensureBucket(admin, failedBucket);
    const failed = new S3ObjectStore({ bucket: failedBucket, client: admin });
    const sink = await DuckDbSink.open(':memory:');
    const item = readFixture('seed/dynamodb-item-example.json') as Record<string, unknown>;
    const put = (id: string) =>
      aws.ddb.send(new PutItemCommand({ TableName: s.table, Item: marshall({ ...item, event_id: id }) }));
    try {
      await put('kept-1');
      await put('removed-1');
      const checkpoint = new MemoryShardCheckpoint(); // one event source mapping across both phases
      await pollUntil(aws, s.streamArn, 2, captureFunction(s.store), { checkpoint });
      await processAll(s.store, sink);

      // An outage: the raw bucket refuses writes; Lambda gives up on the batch and writes it to failed-records.
      await put('inserted-1');
      await aws.ddb.send(
        new UpdateItemCommand({
          TableName: s.table,
          Key: marshall({ event_id: 'kept-1' }),
          UpdateExpression: 'SET car_timezone = :tz',
          ExpressionAttributeValues: marshall({ ':tz': 'Europe/Helsinki' }),
        }),
      );
      await aws.ddb.send(
        new DeleteItemCommand({ TableName: s.table, Key: marshall({ event_id: 'removed-1' }) }),
      );
      const broken = captureFunction(new S3ObjectStore({ bucket: 'no-such-bucket', client: admin }));
      let last: DynamoDBStreamEvent | undefined;
      const given: string[] = [];
      await pollUntil(
        aws,
        s.streamArn,
        3,
        async (event) => {
          last = structuredClone(event);
          return broken(event);
        },
        {
          checkpoint,
          maximumRetryAttempts: 0,
          onFailure: async (record) => {
            const o = s3DestinationObject(record, last as DynamoDBStreamEvent);
            await failed.put(o.key, o.body);
            given.push(o.key);
          },
        },
      );
      expect(given).toHaveLength(1);
      await processAll(s.store, sink);
      const before = await tableState(sink);
      const expected = await expectedState(aws, s.table);
      expect(before.checksum).not.toBe(expected.checksum); // the three changes are missing

      const args = ['replay', 'failed-records', '--bucket', s.bucket, '--failed-bucket', failedBucket];
      const env = { TELEMETRY_S3_ENDPOINT: aws.s3.endpoint };

      // Act 1: a dry run changes nothing.
      const dry = await cli([...args, '--dry-run', '--json'], env);
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({
        dryRun: true,
        events: { INSERT: 1, MODIFY: 1, REMOVE: 1 },
      });
      expect(await listKeys(failed, 'aws/lambda/')).toEqual(given);
      expect(await listKeys(s.direct, CLOUD.rawPrefix)).toEqual([]);

      // Act 2: the replay, then the next process run.
      const first = await cli(args, env);
      await processAll(s.store, sink);

      // Assess: the table is DynamoDB's state; the failed object moved to replayed/.
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(
        /replayed 1 of 1 .*1 INSERT, 1 MODIFY, 1 REMOVE; 1 raw object\(s\) written/,
      );
      const after = await tableState(sink);
      expect(after).toEqual(expected);
      expect(after.eventIds).toEqual(['inserted-1', 'kept-1']);
      expect(await listKeys(failed, 'aws/lambda/')).toEqual([]);
      expect(await listKeys(failed, 'replayed/')).toEqual(given.map((k) => `replayed/${k}`));
      const ledger = async () =>
        (await sink.connection.runAndReadAll('SELECT file FROM telemetry._loaded_files ORDER BY file'))
          .getRows()
          .map(([f]) => String(f));
      const loaded = await ledger();

      // Act 3: replaying again finds nothing; a crash before the move (the object back in place) writes nothing.
      const second = await cli([...args, '--json'], env);
      await failed.copy(`replayed/${given[0]}`, given[0] as string);
      const crashed = await cli([...args, '--json'], env);
      await processAll(s.store, sink);

      // Assess: nothing pending, table and ledger unchanged.
      expect(JSON.parse(second.stdout)).toMatchObject({ scanned: 0, replayed: [] });
      expect(JSON.parse(crashed.stdout).replayed).toEqual([
        expect.objectContaining({ key: given[0], outcome: 'present', records: 3 }),
      ]);
      expect(await listKeys(s.direct, CLOUD.rawPrefix)).toEqual([]);
      expect(await tableState(sink)).toEqual(after);
      expect(await ledger()).toEqual(loaded);
    } finally {
      await sink.close();
      admin.destroy();
      s.close();
    }
  });
});
