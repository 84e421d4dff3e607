import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { unmarshallImage } from '../../../src/capture/fromStreamRecord.js';
import { padSequence, type RawRecord } from '../../../src/core/model/RawRecord.js';
import { processPending } from '../../../src/process/processPending.js';
import { CLOUD, tableState } from '../../integration/support/localStack.js';

/**
 * The expected table (as `expectedState` in test/integration/support/localStack.ts) built page by page, so that
 * 50,000 items of ~13 KB never sit in memory at once: each scan page is captured and processed on its own.
 */
export async function expectedTable(ddb: DynamoDBClient, table: string) {
  const store = new MemoryObjectStore();
  const sink = await DuckDbSink.open(':memory:');
  try {
    let start: Record<string, unknown> | undefined;
    let n = 0;
    do {
      const page = await ddb.send(
        new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start as never } : {}) }),
      );
      const records: RawRecord[] = (page.Items ?? []).map((image) => {
        const item = unmarshallImage(image as Record<string, unknown>);
        n += 1;
        return {
          eventName: 'INSERT',
          eventID: `expected-${n}`,
          sequenceNumber: padSequence(n),
          approximateCreationTime: Date.UTC(2025, 10, 25, 20),
          keys: { event_id: item.event_id },
          newImage: item,
          userIdentity: null,
        };
      });
      await captureBatch(records, store, { rawPrefix: CLOUD.rawPrefix, source: `expected-${n}` });
      await processPending({ store, sink }, CLOUD);
      for await (const o of store.list(CLOUD.archivePrefix)) await store.delete(o.key);
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return await tableState(sink);
  } finally {
    await sink.close();
  }
}
