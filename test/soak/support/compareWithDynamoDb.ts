import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { unmarshallImage } from '../../../src/capture/unmarshallImage.js';
import { padSequence, type RawRecord } from '../../../src/core/model/RawRecord.js';
import { processPending } from '../../../src/process/processPending.js';
import { CLOUD } from '../../integration/support/localStack.js';
import { rowDigests } from './rowDigests.js';

export interface TableComparison {
  readonly items: number;
  readonly rows: number;
  /** Items in DynamoDB with no row in the table. */
  readonly missing: number;
  /** Rows in the table with no item in DynamoDB. */
  readonly extra: number;
  /** Rows whose content differs from the row the item flattens to. */
  readonly different: number;
  /** A few event_ids of each kind, for the log. */
  readonly examples: readonly string[];
  readonly scanSeconds: number;
  readonly seconds: number;
}

/** An item as the stream would deliver its first write: what the table should hold for it. */
export function insertRecord(item: Record<string, unknown>, eventID: string, n: number): RawRecord {
  return {
    eventName: 'INSERT',
    eventID,
    sequenceNumber: padSequence(n),
    approximateCreationTime: Date.UTC(2025, 10, 25, 20),
    keys: { event_id: item.event_id },
    newImage: item,
    userIdentity: null,
  };
}

/**
 * The expected rows of one scan segment: its items go through the same capture and process as the stream's, 1,000
 * at a time, into a DuckDB of their own that is emptied after each batch's rows are digested.
 */
async function segmentDigests(
  ddb: DynamoDBClient,
  table: string,
  segment: number,
  totalSegments: number,
  digests: Map<string, string>,
  timing: { scanMs: number },
): Promise<void> {
  const store = new MemoryObjectStore();
  const sink = await DuckDbSink.open(':memory:');
  try {
    let records: RawRecord[] = [];
    let n = 0;
    const load = async () => {
      await captureBatch(records, store, { rawPrefix: CLOUD.rawPrefix, source: `expected-${segment}-${n}` });
      await processPending({ store, sink }, CLOUD);
      for await (const o of store.list(CLOUD.archivePrefix)) await store.delete(o.key);
      for await (const [id, digest] of rowDigests(sink)) digests.set(id, digest);
      await sink.connection.run('DELETE FROM telemetry.car_telemetry_flattened');
      records = [];
    };
    let start: Record<string, unknown> | undefined;
    do {
      const t0 = Date.now();
      const page = await ddb.send(
        new ScanCommand({
          TableName: table,
          Segment: segment,
          TotalSegments: totalSegments,
          Limit: 100,
          ...(start ? { ExclusiveStartKey: start as never } : {}),
        }),
      );
      timing.scanMs += Date.now() - t0;
      for (const image of page.Items ?? []) {
        n += 1;
        records.push(
          insertRecord(unmarshallImage(image as Record<string, unknown>), `expected-${segment}-${n}`, n),
        );
      }
      if (records.length >= 1_000) await load();
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    if (records.length > 0) await load();
  } finally {
    await sink.close();
  }
}

/**
 * The table against DynamoDB's own items, row by row: a parallel scan (`segments` segments, pages of 100 items)
 * flattens every item through the same core into a digest per event_id, then the table is read in event_id order
 * and each row's digest is checked off. Only the digests (~100 bytes per item) are held, never the items.
 */
export async function compareWithDynamoDb(
  ddb: DynamoDBClient,
  table: string,
  actual: DuckDbSink,
  segments = 4,
): Promise<TableComparison> {
  const started = Date.now();
  const expected = new Map<string, string>();
  const timing = { scanMs: 0 };
  await Promise.all(
    Array.from({ length: segments }, (_, s) => segmentDigests(ddb, table, s, segments, expected, timing)),
  );
  const items = expected.size;
  let rows = 0;
  let extra = 0;
  let different = 0;
  const examples: string[] = [];
  const note = (kind: string, id: string) => {
    if (examples.length < 10) examples.push(`${kind} ${id}`);
  };
  for await (const [id, digest] of rowDigests(actual)) {
    rows += 1;
    const want = expected.get(id);
    if (want === undefined) {
      extra += 1;
      note('extra', id);
    } else if (want !== digest) {
      different += 1;
      note('different', id);
    }
    expected.delete(id);
  }
  for (const id of expected.keys()) note('missing', id);
  return {
    items,
    rows,
    missing: expected.size,
    extra,
    different,
    examples,
    scanSeconds: timing.scanMs / 1000 / segments,
    seconds: (Date.now() - started) / 1000,
  };
}
