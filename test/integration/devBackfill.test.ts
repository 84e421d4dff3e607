import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteItemCommand, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoDb } from '../../src/dev/localAws.js';
import type { DevEndpoints } from '../../src/dev/runDevStack.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { processedCount, startDev } from '../support/devProcess.js';
import { expectedState, scanItems, tableState } from './support/localStack.js';

const endpoints = async (dataDir: string): Promise<DevEndpoints> =>
  JSON.parse(await readFile(join(dataDir, 'dev', 'endpoints.json'), 'utf8')) as DevEndpoints;

const KEY_COLUMNS = ['event_id', 'record_type', 'smartcar_user_id', 'car_timezone'] as const;

/** The compared columns of every item DynamoDB holds, ordered like the query. */
async function scanDynamoDb(ddb: DynamoDBClient, table: string) {
  return (await scanItems(ddb, table))
    .map((item) => Object.fromEntries(KEY_COLUMNS.map((c) => [c, item[c] ?? null])))
    .sort((a, b) => String(a.event_id).localeCompare(String(b.event_id)));
}

/** What `aws s3 rm --recursive s3://BUCKET/backfill/scan/TABLE/` does: the next backfill takes a fresh snapshot. */
async function forgetScanCheckpoints(dev: DevEndpoints): Promise<number> {
  const s3 = new S3Client({
    endpoint: dev.s3,
    forcePathStyle: true,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const Prefix = `backfill/scan/${dev.table}/`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: dev.bucket, Prefix }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key ?? '' }));
    if (keys.length > 0)
      await s3.send(new DeleteObjectsCommand({ Bucket: dev.bucket, Delete: { Objects: keys } }));
    return keys.length;
  } finally {
    s3.destroy();
  }
}

describe('telemetry dev + telemetry backfill into its bucket (history from before the stream)', () => {
  it('items put while the stream is off, a backfill while dev put adds, updates and deletes: telemetry query equals DynamoDB, and a second backfill changes nothing', async () => {
    // Prepare: `telemetry dev --no-stream` and history the stream never carries, then `telemetry dev` (stream on)
    const data = tempDir();
    const elsewhere = join(data.path, 'backfill-data-dir'); // the backfill needs no data folder of its own
    const put = async (count: number, seed: number) => {
      const r = await cli([
        'dev',
        'put',
        '--count',
        `${count}`,
        '--seed',
        `${seed}`,
        '--data-dir',
        data.path,
        '--json',
      ]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { inserted: number; deleted: number; streamRecords: number };
    };
    const before = startDev(data.path, ['--no-stream']);
    await before.waitFor((s) => s.includes('ready:'));
    await put(120, 41);
    expect(await before.stop()).toBe(0);
    expect(before.output()).toContain('stream OFF');
    let dev = startDev(data.path);
    let ddb: DynamoDBClient | undefined;
    try {
      await dev.waitFor((s) => s.includes('ready:'));
      const aws = await endpoints(data.path);
      ddb = localDynamoDb(aws.dynamodb);
      const history = (await scanDynamoDb(ddb, aws.table)).map((r) => String(r.event_id));
      const backfillArgs = [
        'backfill',
        '--table',
        aws.table,
        '--endpoint',
        aws.dynamodb,
        '--bucket',
        aws.bucket,
        '--bucket-endpoint',
        aws.s3,
        '--segments',
        '2',
        '--page-items',
        '10',
        '--data-dir',
        elsewhere,
        '--json',
      ];

      // Act: the backfill (paced by --max-rcu) while `dev put` and a user's updates and deletes go through the stream
      let backfillDone = false;
      const backfill = cli([...backfillArgs, '--max-rcu', '20']).finally(() => {
        backfillDone = true;
      });
      const fresh = await put(30, 42);
      const updated = history.filter((_, i) => i % 7 === 0);
      const deleted = history.filter((_, i) => i % 7 === 3);
      let streamRecords = fresh.streamRecords + deleted.length;
      for (const id of updated) {
        const r = await ddb.send(
          new UpdateItemCommand({
            TableName: aws.table,
            Key: marshall({ event_id: id }),
            UpdateExpression: 'SET car_timezone = :tz',
            ExpressionAttributeValues: marshall({ ':tz': 'Pacific/Chatham' }),
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        if (r.Attributes?.car_timezone?.S !== 'Pacific/Chatham') streamRecords += 1; // no change, no record
      }
      for (const id of deleted)
        await ddb.send(new DeleteItemCommand({ TableName: aws.table, Key: marshall({ event_id: id }) }));
      const trafficDuringBackfill = !backfillDone;
      const first = await backfill;
      expect(first.code).toBe(0);
      const scanned = JSON.parse(first.stdout) as { scan: { items: number; complete: boolean } };
      // dev's table is current once every backfilled item and every stream record went through its process loop
      await dev.waitFor((s) => processedCount(s, 'records') >= scanned.scan.items + streamRecords);
      const dynamo = await scanDynamoDb(ddb, aws.table);
      const captured = [...dev.output().matchAll(/captured (\d+) stream record/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      const everyColumn = await expectedState({ ddb }, aws.table); // DynamoDB flattened by the same core
      expect(await dev.stop()).toBe(0);
      const sink = await DuckDbSink.open(join(data.path, 'warehouse.duckdb'));
      const tableNow = await tableState(sink).finally(() => sink.close());
      const queried = await cli([
        'query',
        '--data-dir',
        data.path,
        '--json',
        `SELECT ${KEY_COLUMNS.join(', ')} FROM telemetry.car_telemetry_flattened ORDER BY event_id`,
      ]);
      const content = await tableContent(join(data.path, 'warehouse.duckdb'));

      // Act again: a second backfill from a fresh snapshot (every item read again) with dev running
      dev = startDev(data.path);
      await dev.waitFor((s) => s.includes('ready:'));
      const again = await endpoints(data.path);
      const secondArgs = backfillArgs.map((a) =>
        a === aws.dynamodb ? again.dynamodb : a === aws.s3 ? again.s3 : a,
      );
      const rerun = await cli(secondArgs); // the same command again: the finished Scan reads nothing
      const forgotten = await forgetScanCheckpoints(again);
      const second = await cli(secondArgs);
      expect(second.code).toBe(0);
      const rescanned = JSON.parse(second.stdout) as { scan: { items: number } };
      await dev.waitFor((s) => processedCount(s, 'records') >= rescanned.scan.items);
      const secondOutput = dev.output();
      ddb.destroy();
      ddb = localDynamoDb(again.dynamodb);
      const dynamoAfter = await scanDynamoDb(ddb, aws.table);
      expect(await dev.stop()).toBe(0);

      // Assess
      expect(trafficDuringBackfill).toBe(true);
      expect(scanned.scan.complete).toBe(true);
      expect(captured).toBe(streamRecords); // the history came only through the backfill
      expect(queried.code).toBe(0);
      expect(JSON.parse(queried.stdout)).toEqual(dynamo);
      expect(tableNow).toEqual(everyColumn);
      expect(dynamo.length).toBe(history.length - deleted.length + fresh.inserted - fresh.deleted);
      expect(dynamo.filter((r) => r.car_timezone === 'Pacific/Chatham').length).toBe(updated.length);
      expect(existsSync(elsewhere)).toBe(false);
      expect(rerun.code).toBe(0);
      expect(JSON.parse(rerun.stdout).scan).toMatchObject({ items: 0, complete: true });
      expect(forgotten).toBeGreaterThan(0);
      expect(dynamoAfter).toEqual(dynamo);
      expect(rescanned.scan.items).toBe(dynamo.length);
      expect(processedCount(secondOutput, 'inserted') + processedCount(secondOutput, 'updated')).toBe(0);
      expect(processedCount(secondOutput, 'deleted')).toBe(0);
      expect(await tableContent(join(data.path, 'warehouse.duckdb'))).toEqual(content);
      console.info(
        `dev + backfill: ${history.length} items from before the stream; ${streamRecords} stream records during the backfill; ${dynamo.length} rows equal DynamoDB; second backfill read ${rescanned.scan.items} items and changed nothing`,
      );
    } finally {
      ddb?.destroy();
      await dev.stop().catch(() => undefined);
      data.cleanup();
    }
  }, 240_000);
});
