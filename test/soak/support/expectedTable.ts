import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { unmarshallImage } from '../../../src/capture/fromStreamRecord.js';
import { padSequence, type RawRecord } from '../../../src/core/model/RawRecord.js';
import { processPending } from '../../../src/process/processPending.js';
import { CLOUD, tableState } from '../../integration/support/localStack.js';

/**
 * The expected table (as `expectedState` in test/integration/support/localStack.ts) built 2,000 items at a
 * time, so that 50,000 items of ~13 KB never sit in memory at once.
 */
export async function expectedTable(ddb: DynamoDBClient, table: string) {
  const store = new MemoryObjectStore();
  const sink = await DuckDbSink.open(':memory:');
  try {
    let start: Record<string, unknown> | undefined;
    let n = 0;
    let records: RawRecord[] = [];
    const load = async () => {
      await captureBatch(records, store, { rawPrefix: CLOUD.rawPrefix, source: `expected-${n}` });
      await processPending({ store, sink }, CLOUD);
      for await (const o of store.list(CLOUD.archivePrefix)) await store.delete(o.key);
      records = [];
    };
    do {
      const page = await ddb.send(
        new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start as never } : {}) }),
      );
      for (const image of page.Items ?? []) {
        const item = unmarshallImage(image as Record<string, unknown>);
        n += 1;
        records.push({
          eventName: 'INSERT',
          eventID: `expected-${n}`,
          sequenceNumber: padSequence(n),
          approximateCreationTime: Date.UTC(2025, 10, 25, 20),
          keys: { event_id: item.event_id },
          newImage: item,
          userIdentity: null,
        });
      }
      if (records.length >= 2_000) await load();
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    await load();
    return await tableState(sink);
  } finally {
    await sink.close();
  }
}
