import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { generateSampleItems } from '../sample/generateSample.js';

export interface PutSampleOptions {
  readonly count: number;
  readonly seed: number;
  /** Every n-th item is written again with new content (a MODIFY record); 0 disables (default 5). */
  readonly updateEvery?: number;
  /** Every n-th item is deleted afterwards (a REMOVE record); 0 disables (default 10). */
  readonly deleteEvery?: number;
}

export interface PutSampleResult {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  /** Stream records the writes produce (one per write that changed the item). */
  readonly streamRecords: number;
  /** event_id of every item still in the table afterwards. */
  readonly remaining: readonly string[];
}

const toItem = (value: Record<string, unknown>) => marshall(value, { removeUndefinedValues: true });

/**
 * Writes sample items into the telemetry table the way the webhook receiver does (one item per delivery), then
 * rewrites some (a corrected re-delivery: MODIFY) and deletes some (REMOVE), so every kind of stream record flows.
 *
 * @example
 * const r = await putSampleItems(ddb, 'chargeminder-car-telemetry', { count: 100, seed: Date.now() });
 */
export async function putSampleItems(
  ddb: DynamoDBClient,
  table: string,
  options: PutSampleOptions,
): Promise<PutSampleResult> {
  const updateEvery = options.updateEvery ?? 5;
  const deleteEvery = options.deleteEvery ?? 10;
  const items = new Map<string, Record<string, unknown>>();
  const vehicles = Math.max(1, Math.ceil(options.count / 20));
  for (const item of generateSampleItems({
    vehicles,
    events: options.count,
    seed: options.seed,
    start: Date.now(),
  })) {
    items.set(String(item.event_id), item); // the generator's own re-deliveries collapse into one item
  }
  let streamRecords = 0;
  const all = [...items.values()];
  for (let i = 0; i < all.length; i += 25) {
    let pending = all.slice(i, i + 25).map((item) => ({ PutRequest: { Item: toItem(item) } }));
    while (pending.length > 0) {
      const r = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = (r.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
  streamRecords += all.length;
  let updated = 0;
  let deleted = 0;
  const ids = [...items.keys()];
  for (const [n, id] of ids.entries()) {
    const item = items.get(id) as Record<string, unknown>;
    if (updateEvery > 0 && n % updateEvery === 0) {
      const meta = {
        ...(item.meta as Record<string, unknown>),
        deliveryId: `redelivery-${options.seed}-${n}`,
      };
      await ddb.send(new PutItemCommand({ TableName: table, Item: toItem({ ...item, meta }) }));
      updated += 1;
    }
    if (deleteEvery > 0 && n % deleteEvery === deleteEvery - 1) {
      await ddb.send(new DeleteItemCommand({ TableName: table, Key: toItem({ event_id: id }) }));
      items.delete(id);
      deleted += 1;
    }
  }
  streamRecords += updated + deleted;
  return { inserted: all.length, updated, deleted, streamRecords, remaining: [...items.keys()] };
}
