import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { scanTable } from '../../src/backfill/scanTable.js';
import { ensureTelemetryTable, localDynamoDb } from '../../src/dev/localAws.js';
import { putSampleItems } from '../../src/dev/putSampleItems.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { PREFIXES, pipeline } from '../support/pipeline.js';

let ddb: RunningDynamoDbLocal;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = localDynamoDb(ddb.endpoint);
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

/** A fresh table holding `count` sample items (some rewritten, some deleted, as in real life). */
async function tableWith(count: number) {
  const table = `backfill-${++tables}`;
  await ensureTelemetryTable(client, table);
  const put = await putSampleItems(client, table, { count, seed: tables });
  return { table, remaining: [...put.remaining].sort() };
}

const CHECKPOINTS = 'backfill/scan/';
const scan = { rawPrefix: PREFIXES.rawPrefix, checkpointPrefix: CHECKPOINTS, pageItems: 7 };

describe('scanTable (parallel Scan on DynamoDB Local)', () => {
  it('captures every item once across segments, and the process stage loads exactly the table', async () => {
    // Prepare
    const { table, remaining } = await tableWith(60);
    const p = await pipeline(new MemoryObjectStore());
    // Act
    const summary = await scanTable(client, p.store, { ...scan, table, segments: 3 });
    const processed = await p.process();
    // Assess
    expect(summary).toMatchObject({ items: remaining.length, segments: 3, segmentsDone: 3, complete: true });
    expect(processed.inserted).toBe(remaining.length);
    const rows = await p.rows('SELECT event_id FROM telemetry.car_telemetry_flattened ORDER BY event_id');
    expect(rows.map((r) => r.event_id)).toEqual(remaining);
  });

  it('resumes an interrupted scan from its segment checkpoints with the same snapshot', async () => {
    // Prepare: stop after two pages
    const { table, remaining } = await tableWith(60);
    const p = await pipeline(new MemoryObjectStore());
    let pages = 0;
    const first = await scanTable(client, p.store, {
      ...scan,
      table,
      segments: 2,
      onPage: (s) => {
        pages = s.pages;
      },
      shouldStop: () => pages >= 2,
    });
    // Act
    const resumed = await scanTable(client, p.store, { ...scan, table, segments: 2 });
    const again = await scanTable(client, p.store, { ...scan, table, segments: 2 });
    const processed = await p.process();
    // Assess
    expect(first.complete).toBe(false);
    expect(resumed).toMatchObject({ resumed: true, complete: true, snapshotMs: first.snapshotMs });
    expect(first.items + resumed.items).toBe(remaining.length);
    expect(again.items).toBe(0);
    expect(processed.inserted).toBe(remaining.length);
    await expect(scanTable(client, p.store, { ...scan, table, segments: 3 })).rejects.toThrow(/--segments 2/);
  });

  it('keeps consumed capacity under --max-rcu by waiting between pages (clock injected)', async () => {
    // Prepare
    const { table } = await tableWith(40);
    let clock = 0;
    let waited = 0;
    const sleep = async (ms: number) => {
      waited += ms;
      clock += ms;
    };
    // Act
    const summary = await scanTable(client, new MemoryObjectStore(), {
      ...scan,
      table,
      segments: 1,
      maxRcu: 2,
      now: () => clock,
      sleep,
    });
    // Assess: every unit but the last page's has been paid for at 2 units per second
    expect(summary.consumedRcu).toBeGreaterThan(0);
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual((summary.consumedRcu / 2) * 1000);
  });
});
