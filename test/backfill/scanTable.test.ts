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

  it('paces requests by consumed capacity under --max-rcu: each page waits until the units before it are paid for (clock injected)', async () => {
    // Prepare
    const { table } = await tableWith(40);
    let clock = 0;
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      clock += ms;
    };
    const consumedAfterPage: number[] = [];
    // Act
    const summary = await scanTable(client, new MemoryObjectStore(), {
      ...scan,
      table,
      segments: 1,
      maxRcu: 2,
      now: () => clock,
      sleep,
      onPage: (p) => consumedAfterPage.push(p.consumedRcu),
    });
    // Assess: DynamoDB reported the capacity; the clock only moves while waiting, so the time waited is exactly
    // the capacity of every page but the last at 2 units per second, one wait before each page after the first
    const beforeLast = consumedAfterPage.at(-2) ?? 0;
    expect(summary.consumedRcu).toBeGreaterThan(0);
    expect(summary.pages).toBeGreaterThan(2);
    expect(waits).toHaveLength(summary.pages - 1);
    expect(clock).toBeCloseTo((beforeLast / 2) * 1000, 6);
  });

  it('does not wait without --max-rcu', async () => {
    // Prepare
    const { table } = await tableWith(20);
    const waits: number[] = [];
    // Act
    const summary = await scanTable(client, new MemoryObjectStore(), {
      ...scan,
      table,
      segments: 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Assess
    expect(summary.consumedRcu).toBeGreaterThan(0);
    expect(waits).toEqual([]);
  });
});
