/**
 * Measured step 4 and the data set for all others: generates sample events, wraps each as a DynamoDB stream
 * record (typed NewImage, as Lambda delivers it) and times what the capture handler does per batch:
 * fromStreamRecord for every record + captureBatch (one gzip NDJSON object). Generation is not timed.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { fromStreamRecord, type StreamRecordLike } from '../../src/capture/fromStreamRecord.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';

const args = childArgs(process.argv.slice(2));
const events = Number(required(args, 'events'));
const batchSize = Number(required(args, 'batch'));
const store = new FsObjectStore(required(args, 'data-dir'));
const rawPrefix = required(args, 'raw-prefix');

const batchMs: number[] = [];
let bytes = 0;
let records = 0;
let seq = 0;
let pending: StreamRecordLike[] = [];

async function flush(): Promise<void> {
  if (pending.length === 0) return;
  const started = performance.now();
  const raw = pending.map((r) => fromStreamRecord(r));
  const result = await captureBatch(raw, store, { rawPrefix, shardId: 'shardId-000000000001' });
  batchMs.push(performance.now() - started);
  bytes += result?.bytes ?? 0;
  records += pending.length;
  pending = [];
}

for (const item of generateSampleItems({ vehicles: 25, events, seed: 7 })) {
  seq += 1;
  const recordedAt = Date.parse(`${String(item.recorded_at).replace(' ', 'T')}Z`);
  pending.push({
    eventID: `bench-${seq}`,
    eventName: 'INSERT',
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(recordedAt / 1000),
      Keys: marshall({ event_id: item.event_id }),
      NewImage: marshall(item, { removeUndefinedValues: true }),
      SequenceNumber: String(100000000000000000000n + BigInt(seq)),
    },
  });
  if (pending.length >= batchSize) await flush();
}
await flush();

const seconds = batchMs.reduce((a, b) => a + b, 0) / 1000;
const sorted = [...batchMs].sort((a, b) => a - b);
report({
  seconds,
  records,
  peakRssMb: peakRssMb(),
  extra: {
    batches: batchMs.length,
    batchSize,
    bytesWritten: bytes,
    msPerBatchMedian: sorted[Math.floor(sorted.length / 2)] ?? 0,
    msPerBatchMax: sorted[sorted.length - 1] ?? 0,
  },
});
