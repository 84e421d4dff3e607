import { BatchWriteItemCommand, DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { ensureTelemetryTable, localDynamoDb } from '../../src/dev/localAws.js';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from '../../src/dev/startDynamoDbLocal.js';
import { processPending } from '../../src/process/processPending.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { CLOUD } from '../integration/support/localStack.js';
import { compareWithDynamoDb, insertRecord } from './support/compareWithDynamoDb.js';

let dynamo: RunningDynamoDbLocal;
let ddb: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  ddb = localDynamoDb(dynamo.endpoint);
}, 60_000);
afterAll(async () => {
  ddb?.destroy();
  await dynamo?.stop();
});

describe('compareWithDynamoDb (the soak check)', () => {
  it('finds a table equal to the items equal, and names each missing, extra and changed row', async () => {
    // Prepare: 60 items in DynamoDB and the table they flatten to
    const table = 'compare-check';
    await ensureTelemetryTable(ddb, table);
    const items = [...generateSampleItems({ vehicles: 3, events: 60, seed: 3 })];
    for (let i = 0; i < items.length; i += 25) {
      const puts = items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item) } }));
      await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: puts } }));
    }
    const store = new MemoryObjectStore();
    const sink = await DuckDbSink.open(':memory:');
    try {
      await captureBatch(
        items.map((item, n) => insertRecord(item, `actual-${n}`, n + 1)),
        store,
        { rawPrefix: CLOUD.rawPrefix, source: 'actual' },
      );
      await processPending({ store, sink }, CLOUD);
      const ids = items.map((item) => String(item.event_id)).sort();

      // Act
      const equal = await compareWithDynamoDb(ddb, table, sink, 3);
      await sink.connection.run(`DELETE FROM telemetry.car_telemetry_flattened WHERE event_id = '${ids[0]}'`);
      await sink.connection.run(
        `UPDATE telemetry.car_telemetry_flattened SET record_type = 'tampered' WHERE event_id = '${ids[1]}'`,
      );
      await ddb.send(new DeleteItemCommand({ TableName: table, Key: marshall({ event_id: ids[2] }) }));
      const unequal = await compareWithDynamoDb(ddb, table, sink, 3);

      // Assess
      expect(equal).toMatchObject({ items: 60, rows: 60, missing: 0, extra: 0, different: 0, examples: [] });
      expect(unequal).toMatchObject({ items: 59, rows: 59, missing: 1, extra: 1, different: 1 });
      expect([...unequal.examples].sort()).toEqual(
        [`missing ${ids[0]}`, `different ${ids[1]}`, `extra ${ids[2]}`].sort(),
      );
    } finally {
      await sink.close();
    }
  }, 120_000);
});
