import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { captureBatch } from '../capture/captureBatch.js';
import { unmarshallImage } from '../capture/unmarshallImage.js';
import { snapshotOrderKey } from '../core/model/orderKey.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { isPlainObject } from '../core/model/TelemetryItem.js';
import type { ObjectStore } from '../ports/ObjectStore.js';

export interface ScanOptions {
  readonly table: string;
  /** Parallel Scan segments (DynamoDB's TotalSegments), 1..1,000,000. */
  readonly segments: number;
  /** Read capacity units per second for the whole scan, from ReturnConsumedCapacity; unset = unlimited. */
  readonly maxRcu?: number;
  /** Items per Scan page (= per raw object). */
  readonly pageItems?: number;
  readonly rawPrefix: string;
  /** Where per-segment checkpoints live, e.g. `backfill/scan/<table>/`. */
  readonly checkpointPrefix: string;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onPage?: (progress: ScanProgress) => void;
  readonly shouldStop?: () => boolean;
  /** Crash injection for tests (`TELEMETRY_FAULT`): called after a page's raw object, before its checkpoint. */
  readonly fault?: (step: string) => void;
}

export interface ScanProgress {
  readonly items: number;
  readonly pages: number;
  readonly consumedRcu: number;
  readonly segmentsDone: number;
}

export interface ScanSummary extends ScanProgress {
  readonly segments: number;
  /** Epoch ms of the snapshot: every version's order key carries it, also after a resume. */
  readonly snapshotMs: number;
  readonly resumed: boolean;
  readonly complete: boolean;
}

interface SegmentCheckpoint {
  readonly snapshotMs: number;
  readonly segments: number;
  /** Items captured so far in this segment: the next item's position. */
  readonly items: number;
  readonly lastKey?: Record<string, AttributeValue>;
  readonly done: boolean;
}

/** Positions stay unique across segments: segment in the high digits, the item's index in the low ones. */
const SEGMENT_STRIDE = 10n ** 15n;

/** Spreads consumed capacity over time: each request waits until the capacity already used is paid for. */
function rateLimiter(maxRcu: number | undefined, now: () => number, sleep: (ms: number) => Promise<void>) {
  let nextAt = 0;
  return {
    wait: async () => {
      const delay = nextAt - now();
      if (delay > 0) await sleep(delay);
    },
    spend: (units: number) => {
      if (!maxRcu) return;
      nextAt = Math.max(nextAt, now()) + (units / maxRcu) * 1000;
    },
  };
}

async function readCheckpoint(store: ObjectStore, key: string): Promise<SegmentCheckpoint | undefined> {
  try {
    const value: unknown = JSON.parse(Buffer.from(await store.get(key)).toString('utf8'));
    return isPlainObject(value) ? (value as unknown as SegmentCheckpoint) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Backfill by parallel Scan: every item of the table becomes a raw object line (a snapshot version, see
 * `orderKey.ts`), one raw object per page, then the normal process + load stages take over. A checkpoint per
 * segment is written after each page's raw object, so an interrupted scan resumes where it stopped; a page read
 * twice rewrites the same object (its key is a function of the order keys).
 *
 * @example
 * await scanTable(ddb, store, { table, segments: 4, maxRcu: 100, rawPrefix: 'telemetry/', checkpointPrefix });
 */
export async function scanTable(
  ddb: DynamoDBClient,
  store: ObjectStore,
  options: ScanOptions,
): Promise<ScanSummary> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const limiter = rateLimiter(options.maxRcu, now, sleep);
  const checkpointKey = (segment: number) => `${options.checkpointPrefix}segment-${segment}.json`;
  const existing = await Promise.all(
    Array.from({ length: options.segments }, (_, s) => readCheckpoint(store, checkpointKey(s))),
  );
  const found = existing.find((c) => c !== undefined);
  if (found && found.segments !== options.segments)
    throw new Error(
      `a scan with ${found.segments} segments was interrupted here (${options.checkpointPrefix}): resume it with --segments ${found.segments}`,
    );
  const snapshotMs = found?.snapshotMs ?? now();
  const totals = { items: 0, pages: 0, consumedRcu: 0, segmentsDone: 0 };

  const runSegment = async (segment: number) => {
    let state: SegmentCheckpoint = existing[segment] ?? {
      snapshotMs,
      segments: options.segments,
      items: 0,
      done: false,
    };
    while (!state.done && !options.shouldStop?.()) {
      await limiter.wait();
      const page = await ddb.send(
        new ScanCommand({
          TableName: options.table,
          Segment: segment,
          TotalSegments: options.segments,
          Limit: options.pageItems ?? 500,
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
          ...(state.lastKey ? { ExclusiveStartKey: state.lastKey } : {}),
        }),
      );
      const units = page.ConsumedCapacity?.CapacityUnits ?? 0;
      limiter.spend(units);
      const items = page.Items ?? [];
      const records = items.map((item, i): RawRecord => {
        const image = unmarshallImage(item);
        const position = BigInt(segment) * SEGMENT_STRIDE + BigInt(state.items + i);
        return {
          eventName: 'INSERT',
          eventID: `scan:${segment}:${state.items + i}`,
          sequenceNumber: snapshotOrderKey('scan', snapshotMs, position),
          approximateCreationTime: snapshotMs,
          keys: { event_id: image.event_id },
          newImage: image,
          userIdentity: null,
        };
      });
      await captureBatch(records, store, {
        rawPrefix: options.rawPrefix,
        source: `backfill-scan-${segment}`,
      });
      options.fault?.('after-scan-object'); // written, not yet checkpointed: the worst moment to die
      state = {
        snapshotMs,
        segments: options.segments,
        items: state.items + items.length,
        ...(page.LastEvaluatedKey ? { lastKey: page.LastEvaluatedKey } : {}),
        done: page.LastEvaluatedKey === undefined,
      };
      await store.put(checkpointKey(segment), Buffer.from(JSON.stringify(state)), {
        contentType: 'application/json',
      });
      totals.items += items.length;
      totals.pages += 1;
      totals.consumedRcu += units;
      options.onPage?.({ ...totals });
    }
    if (state.done) totals.segmentsDone += 1;
  };
  await Promise.all(Array.from({ length: options.segments }, (_, s) => runSegment(s)));
  return {
    ...totals,
    segments: options.segments,
    snapshotMs,
    resumed: found !== undefined,
    complete: totals.segmentsDone === options.segments,
  };
}
