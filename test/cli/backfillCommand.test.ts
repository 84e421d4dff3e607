import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTelemetryTable, localDynamoDb } from '../../src/dev/localAws.js';
import { putSampleItems } from '../../src/dev/putSampleItems.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { cli, tableContent, tempDir } from '../support/cli.js';

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

  it('says what is wrong with its options', async () => {
    // Act
    const r = await cli(['backfill', '--segments', '0']);
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('segments');
  });
});
