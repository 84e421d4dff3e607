import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { ensureBucket, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoDb } from '../../src/dev/localAws.js';
import { type DevEndpoints, runDevStack } from '../../src/dev/runDevStack.js';
import { MemoryShardCheckpoint } from '../../src/dev/ShardCheckpoint.js';
import { s3OnFailureDestination } from '../../src/dev/s3OnFailureDestination.js';
import { type LocalAws, startLocalAws } from '../../src/dev/startLocalAws.js';
import type { ProcessSummary } from '../../src/process/ProcessSummary.js';
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

/** Lambda's S3 on-failure key: `aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`. */
const ON_FAILURE_KEY =
  /^aws\/lambda\/[0-9a-f-]{36}\/[^/]+\/\d{4}\/\d\d\/\d\d\/\d{4}-\d\d-\d\dT\d\d\.\d\d\.\d\d-[0-9a-f-]{36}$/;

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
      const destination = s3OnFailureDestination(failed, s.streamArn); // as the mapping's S3 destination writes
      const given: string[] = [];
      await pollUntil(aws, s.streamArn, 3, broken, {
        checkpoint,
        maximumRetryAttempts: 0,
        onFailure: async (record) => {
          given.push(await destination(record));
        },
      });
      expect(given).toEqual([expect.stringMatching(ON_FAILURE_KEY)]);
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

describe('telemetry replay failed-records on telemetry dev', () => {
  it('batches dev gives up on during an S3 outage land in its failed-records bucket as Lambda writes them, and replay loads them exactly once', {
    timeout: 120_000,
  }, async () => {
    // Prepare: `telemetry dev` in this process; its capture invocations can be failed (an outage).
    const dataDir = mkdtempSync(join(tmpdir(), 'replay-dev-'));
    const warehouse = join(dataDir, 'warehouse.duckdb');
    const lines: string[] = [];
    const processed: ProcessSummary[] = [];
    let outage = false;
    const controller = new AbortController();
    let ready: (info: DevEndpoints) => void = () => undefined;
    const endpoints = new Promise<DevEndpoints>((resolve) => {
      ready = resolve;
    });
    const dev = runDevStack({
      dataDir,
      warehouse,
      processEveryMs: 100,
      batchSize: 10,
      batchingWindowMs: 200,
      log: (line) => lines.push(line),
      onProcessed: (summary) => processed.push(summary),
      onReady: (info) => ready(info),
      signal: controller.signal,
      fault: (step) => {
        if (outage && step === 'before-capture-object') throw new Error('S3 outage: PutObject refused');
      },
    });
    const info = await Promise.race([
      endpoints,
      dev.then(() => Promise.reject(new Error(`dev stopped: ${lines.join('\n')}`))),
    ]);
    const until = async (what: string, done: () => boolean | Promise<boolean>) => {
      for (let i = 0; i < 1200; i++) {
        if (await done()) return;
        await sleep(50);
      }
      throw new Error(`no ${what}:\n${lines.join('\n')}`);
    };
    const ddb = localDynamoDb(info.dynamodb);
    const client = new S3Client({
      endpoint: info.s3,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const data = new S3ObjectStore({ bucket: info.bucket, client });
    const failed = new S3ObjectStore({ bucket: info.failedBucket, client });
    const item = readFixture('seed/dynamodb-item-example.json') as Record<string, unknown>;
    const put = (id: string) =>
      ddb.send(new PutItemCommand({ TableName: info.table, Item: marshall({ ...item, event_id: id }) }));
    const loaded = () => processed.reduce((n, p) => n + p.records, 0);
    try {
      await put('kept-1');
      await put('removed-1');
      await until('first load', () => loaded() >= 2);

      // Act 1: an outage while an INSERT, a MODIFY and a REMOVE arrive; dev retries, then gives up on them.
      outage = true;
      await put('inserted-1');
      await ddb.send(
        new UpdateItemCommand({
          TableName: info.table,
          Key: marshall({ event_id: 'kept-1' }),
          UpdateExpression: 'SET car_timezone = :tz',
          ExpressionAttributeValues: marshall({ ':tz': 'Europe/Helsinki' }),
        }),
      );
      await ddb.send(
        new DeleteItemCommand({ TableName: info.table, Key: marshall({ event_id: 'removed-1' }) }),
      );
      const givenUp = () =>
        lines.reduce((n, l) => n + Number(/capture gave up on (\d+) record/.exec(l)?.[1] ?? 0), 0);
      await until('given-up batches', () => givenUp() >= 3);
      outage = false;
      const expected = await expectedState({ ddb }, info.table);

      // Assess: where and as Lambda's S3 destination writes them, with the records; dev says how to replay.
      const given = await listKeys(failed, 'aws/lambda/');
      expect(given.length).toBeGreaterThan(0);
      for (const key of given) expect(key).toMatch(ON_FAILURE_KEY);
      expect(lines.join('\n')).toContain(
        `telemetry replay failed-records --bucket ${info.bucket} --failed-bucket ${info.failedBucket} --endpoint ${info.s3}`,
      );
      expect(await listKeys(data, CLOUD.rawPrefix)).toEqual([]);

      // Act 2: the replay dev printed; dev's next process run loads what it wrote.
      const args = [
        'replay',
        'failed-records',
        '--bucket',
        info.bucket,
        '--failed-bucket',
        info.failedBucket,
      ];
      const first = await cli([...args, '--endpoint', info.s3, '--json'], {});
      const runsBefore = processed.length;
      await until(
        'load of the replayed objects',
        async () => processed.length > runsBefore && (await listKeys(data, CLOUD.rawPrefix)).length === 0,
      );
      const again = await cli([...args, '--endpoint', info.s3, '--json'], {});

      // Assess: all three events came back once; a second replay finds nothing.
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({
        events: { INSERT: 1, MODIFY: 1, REMOVE: 1 },
        problems: [],
      });
      expect(JSON.parse(again.stdout)).toMatchObject({ scanned: 0, replayed: [] });
      controller.abort();
      await dev;
      const sink = await DuckDbSink.open(warehouse);
      try {
        const table = await tableState(sink);
        expect(table).toEqual(expected);
        expect(table.eventIds).toEqual(['inserted-1', 'kept-1']);
      } finally {
        await sink.close();
      }
    } finally {
      controller.abort();
      await dev.catch(() => undefined);
      ddb.destroy();
      client.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
