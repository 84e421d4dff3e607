import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTelemetryTable, localDynamoDb } from '../../src/dev/localAws.js';
import { putSampleItems } from '../../src/dev/putSampleItems.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { cli, cliProcess, tableContent, tempDir } from '../support/cli.js';

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
