import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTelemetryTable, localDynamoDb } from '../../src/dev/localAws.js';
import { putSampleItems } from '../../src/dev/putSampleItems.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { cli, cliProcess, tableContent, tempDir } from '../support/cli.js';
import { tableItems, writeDynamoDbExport } from '../support/dynamoDbExport.js';
import { localS3 } from '../support/s3Server.js';

let ddb: RunningDynamoDbLocal;
let client: DynamoDBClient;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = localDynamoDb(ddb.endpoint);
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

describe('telemetry backfill (DynamoDB Local -> data folder)', () => {
  it('loads every item the table holds, and a second backfill changes nothing', async () => {
    // Prepare
    const dir = tempDir();
    await ensureTelemetryTable(client, 'history');
    const put = await putSampleItems(client, 'history', { count: 50, seed: 3 });
    const args = ['backfill', '--table', 'history', '--endpoint', ddb.endpoint, '--segments', '3'];
    try {
      // Act
      const first = await cli([...args, '--data-dir', dir.path, '--json']);
      const content = await tableContent(join(dir.path, 'warehouse.duckdb'));
      const second = await cli([...args, '--data-dir', dir.path]);
      // Assess
      expect(first.code).toBe(0);
      const summary = JSON.parse(first.stdout);
      expect(summary).toMatchObject({
        scan: { items: put.remaining.length, complete: true },
        reconciled: true,
      });
      expect(summary.process.inserted).toBe(put.remaining.length);
      expect(content.map((r) => r.event_id)).toEqual([...put.remaining].sort());
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('scanned   0 items');
      expect(await tableContent(join(dir.path, 'warehouse.duckdb'))).toEqual(content);
    } finally {
      dir.cleanup();
    }
  });

  it('killed with SIGKILL mid-scan, the next run resumes from the segment checkpoints and loads each item once', async () => {
    // Prepare: a real child process kills itself after its third page's raw object, before that page's checkpoint
    const dir = tempDir();
    await ensureTelemetryTable(client, 'crashing');
    const put = await putSampleItems(client, 'crashing', { count: 60, seed: 4 });
    const args = ['backfill', '--table', 'crashing', '--endpoint', ddb.endpoint, '--segments', '2'];
    const scanArgs = [...args, '--page-items', '5', '--data-dir', dir.path];
    try {
      const killed = await cliProcess(scanArgs, { TELEMETRY_FAULT: 'after-scan-object:3' });
      const checkpoints = join(dir.path, 'backfill', 'scan', 'crashing');
      const checkpointed = readdirSync(checkpoints)
        .map(
          (f) => JSON.parse(readFileSync(join(checkpoints, f), 'utf8')) as { items: number; done: boolean },
        )
        .reduce((n, c) => n + c.items, 0);
      // Act
      const resumed = await cli([...scanArgs, '--json']);
      // Assess
      expect(killed.signal).toBe('SIGKILL');
      expect(checkpointed).toBeGreaterThan(0);
      expect(checkpointed).toBeLessThan(put.remaining.length);
      expect(resumed.code).toBe(0);
      const summary = JSON.parse(resumed.stdout);
      expect(summary.scan).toMatchObject({ resumed: true, complete: true });
      expect(checkpointed + summary.scan.items).toBe(put.remaining.length);
      // The page written before the kill was read again and rewrote the same raw object: each item once.
      expect(summary.process).toMatchObject({
        records: put.remaining.length,
        inserted: put.remaining.length,
        updated: 0,
        unchanged: 0,
      });
      const content = await tableContent(join(dir.path, 'warehouse.duckdb'));
      expect(content.map((r) => r.event_id)).toEqual([...put.remaining].sort());
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('says what is wrong with its options', async () => {
    // Act
    const r = await cli(['backfill', '--segments', '0']);
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('segments');
  });
});

describe('telemetry backfill --bucket (DynamoDB Local -> the S3 server; the process stage loads)', () => {
  const s3 = localS3(['scanned', 'exported', 'resumed']);
  const keys = async (bucket: string, prefix: string) => {
    const found: string[] = [];
    for await (const o of s3.store(bucket).list(prefix)) found.push(o.key);
    return found;
  };

  it('writes raw objects and checkpoints to the bucket, loads nothing itself; process --bucket loads each item once', async () => {
    // Prepare: the same items backfilled locally give the expected table, values and all
    const cloud = tempDir();
    const local = tempDir();
    await ensureTelemetryTable(client, 'cloudy');
    const put = await putSampleItems(client, 'cloudy', { count: 40, seed: 5 });
    const scan = ['backfill', '--table', 'cloudy', '--endpoint', ddb.endpoint, '--segments', '2'];
    const toBucket = [
      ...scan,
      '--bucket',
      'scanned',
      '--bucket-endpoint',
      s3.endpoint,
      '--data-dir',
      cloud.path,
    ];
    const processBucket = [
      'process',
      '--bucket',
      'scanned',
      '--endpoint',
      s3.endpoint,
      '--data-dir',
      cloud.path,
    ];
    try {
      expect((await cli([...scan, '--data-dir', local.path])).code).toBe(0);
      const expected = await tableContent(join(local.path, 'warehouse.duckdb'));
      // Act
      const backfilled = await cli([...toBucket, '--json']);
      const pending = await keys('scanned', 'telemetry/');
      const checkpoints = await keys('scanned', 'backfill/scan/cloudy/');
      const loadedBefore = existsSync(join(cloud.path, 'warehouse.duckdb'));
      const processed = await cli([...processBucket, '--json']);
      const content = await tableContent(join(cloud.path, 'warehouse.duckdb'));
      const again = await cli(toBucket);
      const processedAgain = await cli([...processBucket, '--json']);
      // Assess
      expect(backfilled.code, backfilled.stderr).toBe(0);
      expect(JSON.parse(backfilled.stdout)).toMatchObject({
        scan: { items: put.remaining.length, complete: true },
        raw: 's3://scanned/telemetry/',
        loadedBy: 'process stage',
        reconciled: true,
      });
      expect(pending.length).toBeGreaterThan(0);
      expect(checkpoints).toEqual([
        'backfill/scan/cloudy/segment-0.json',
        'backfill/scan/cloudy/segment-1.json',
      ]);
      expect(loadedBefore).toBe(false);
      expect(processed.code, processed.stderr).toBe(0);
      expect(JSON.parse(processed.stdout)).toMatchObject({
        records: put.remaining.length,
        inserted: put.remaining.length,
      });
      expect(content.map((r) => r.event_id)).toEqual([...put.remaining].sort());
      expect(content).toEqual(expected);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('scanned   0 items');
      expect(again.stdout).toContain('raw objects are in s3://scanned/telemetry/');
      expect(JSON.parse(processedAgain.stdout)).toMatchObject({ records: 0, inserted: 0, updated: 0 });
      expect(await tableContent(join(cloud.path, 'warehouse.duckdb'))).toEqual(content);
    } finally {
      cloud.cleanup();
      local.cleanup();
    }
  }, 120_000);

  it('killed with SIGKILL mid-scan, resumes from the checkpoints in the bucket; process --bucket loads each item once', async () => {
    // Prepare: a real child process kills itself after its third page's raw object, before that page's checkpoint
    const data = join(s3.dir, 'killed');
    await ensureTelemetryTable(client, 'interrupted');
    const put = await putSampleItems(client, 'interrupted', { count: 45, seed: 6 });
    const args = ['backfill', '--table', 'interrupted', '--endpoint', ddb.endpoint, '--segments', '2'];
    const toBucket = [...args, '--page-items', '5', '--bucket', 'resumed', '--bucket-endpoint', s3.endpoint];
    const killed = await cliProcess(toBucket, { TELEMETRY_FAULT: 'after-scan-object:3' });
    const checkpointed = await keys('resumed', 'backfill/scan/interrupted/');
    // Act
    const resumed = await cli([...toBucket, '--json']);
    const processed = await cli([
      'process',
      '--bucket',
      'resumed',
      '--endpoint',
      s3.endpoint,
      '--data-dir',
      data,
      '--json',
    ]);
    // Assess
    expect(killed.signal).toBe('SIGKILL');
    expect(checkpointed.length).toBeGreaterThan(0);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).scan).toMatchObject({ resumed: true, complete: true });
    // The page written before the kill was read again and rewrote the same raw object: each item once.
    expect(JSON.parse(processed.stdout)).toMatchObject({
      records: put.remaining.length,
      inserted: put.remaining.length,
      updated: 0,
      unchanged: 0,
    });
    const content = await tableContent(join(data, 'warehouse.duckdb'));
    expect(content.map((r) => r.event_id)).toEqual([...put.remaining].sort());
  }, 120_000);

  it('an export into the bucket: process --bucket loads it, and the same export again changes nothing', async () => {
    // Prepare
    const dir = tempDir();
    const items = tableItems(60, 12);
    const written = writeDynamoDbExport(join(dir.path, 'copy'), {
      parts: [items.slice(0, 25), items.slice(25)],
    });
    const data = join(dir.path, 'data');
    const backfill = [
      'backfill',
      '--export',
      written.dir,
      '--bucket',
      'exported',
      '--bucket-endpoint',
      s3.endpoint,
    ];
    const processBucket = ['process', '--bucket', 'exported', '--endpoint', s3.endpoint, '--data-dir', data];
    try {
      // Act
      const first = await cli([...backfill, '--data-dir', data]);
      const processed = await cli([...processBucket, '--json']);
      const content = await tableContent(join(data, 'warehouse.duckdb'));
      await cli([...backfill, '--data-dir', data]);
      const again = await cli([...processBucket, '--json']);
      // Assess
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(`-> s3://exported/telemetry/`);
      expect(first.stdout).toContain('matches the manifest');
      expect(JSON.parse(processed.stdout)).toMatchObject({ records: items.length, inserted: items.length });
      expect(content.map((r) => r.event_id)).toEqual(items.map((i) => i.event_id).sort());
      expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, updated: 0 });
      expect(await tableContent(join(data, 'warehouse.duckdb'))).toEqual(content);
    } finally {
      dir.cleanup();
    }
  }, 120_000);
});
