/**
 * Measured step 4 and the data set for all others: generates sample events, wraps each as a DynamoDB stream
 * record (typed NewImage, as Lambda delivers it) and times what the capture handler does per batch:
 * the capture Lambda's handler (makeCaptureHandler: toRawRecords + captureBatch, one gzip NDJSON object per batch).
 * Generation is not timed.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import type { StreamRecordLike } from '../../src/capture/fromStreamRecord.js';
import { makeCaptureHandler } from '../../src/capture/makeCaptureHandler.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';

const args = childArgs(process.argv.slice(2));
const events = Number(required(args, 'events'));
const batchSize = Number(required(args, 'batch'));
const store = new FsObjectStore(required(args, 'data-dir'));
const rawPrefix = required(args, 'raw-prefix');

const handler = makeCaptureHandler({ store, rawPrefix, logger: new Logger({ logLevel: 'SILENT' }) });
const eventSourceARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/chargeminder-car-telemetry/stream/2025-11-25T00:00:00.000';
const batchMs: number[] = [];
/** CPU time of this process per batch (all threads: JS and zlib): what a shared machine does not inflate. */
const batchCpuMs: number[] = [];
/** Bytes of each batch's event as JSON (what Lambda would pass; measured outside the timed part). */
const payloadBytes: number[] = [];
let bytes = 0;
let records = 0;
let seq = 0;
let pending: (StreamRecordLike & { eventSource: string; eventSourceARN: string })[] = [];

async function flush(): Promise<void> {
  if (pending.length === 0) return;
  payloadBytes.push(Buffer.byteLength(JSON.stringify({ Records: pending })));
  // The garbage of generating the batch (untimed) is collected before timing, not charged to the handler
  // (~300-400 ms per 10,000-record batch otherwise). Needs --expose-gc (bench/run.ts passes it).
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await handler({ Records: pending } as unknown as DynamoDBStreamEvent);
  batchMs.push(performance.now() - started);
  const used = process.cpuUsage(cpu);
  batchCpuMs.push((used.user + used.system) / 1000);
  records += pending.length;
  pending = [];
}

for (const item of generateSampleItems({ vehicles: 25, events, seed: 7 })) {
  seq += 1;
  const recordedAt = Date.parse(`${String(item.recorded_at).replace(' ', 'T')}Z`);
  pending.push({
    eventSource: 'aws:dynamodb',
    eventSourceARN,
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
for await (const o of store.list(rawPrefix)) bytes += o.size;

const seconds = batchMs.reduce((a, b) => a + b, 0) / 1000;
const sorted = [...batchMs].sort((a, b) => a - b);
const sortedCpu = [...batchCpuMs].sort((a, b) => a - b);
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
    cpuMsPerBatchMedian: sortedCpu[Math.floor(sortedCpu.length / 2)] ?? 0,
    payloadMbPerBatchMedian:
      ([...payloadBytes].sort((a, b) => a - b)[Math.floor(payloadBytes.length / 2)] ?? 0) / 1e6,
  },
});
