import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { CAPTURE_METRICS } from '../config/metrics.js';
import { errorMessage } from '../core/errors.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import { RawObjectWriter } from './captureBatch.js';
import type { StreamRecordLike } from './fromStreamRecord.js';
import { streamName } from './streamName.js';
import { toRawLines } from './toRawLines.js';

export interface CaptureHandlerDeps {
  readonly store: ObjectStore;
  /** e.g. `telemetry/`. */
  readonly rawPrefix: string;
  readonly logger: Logger;
  /** EMF metrics (records, bytes, objects, lag, rejected); omitted where nobody collects them. */
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

export type CaptureHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * The capture Lambda's logic: one DynamoDB stream batch becomes ONE gzip NDJSON object (key from stream, first and
 * last sequence number, so a retried identical batch rewrites the same object). A failed put throws: Lambda
 * retries the whole batch. Conversion problems are content problems (retrying cannot help): they travel on to
 * process's quarantine, so `batchItemFailures` stays empty.
 *
 * @example
 * const handler = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: new Logger() });
 * const { batchItemFailures } = await handler(event);
 */
export function makeCaptureHandler(deps: CaptureHandlerDeps): CaptureHandler {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const stream = (event.Records ?? []) as unknown as StreamRecordLike[];
    if (stream.length === 0) return { batchItemFailures: [] };
    const started = now();
    const source = streamName(event.Records[0]?.eventSourceARN);
    const writer = new RawObjectWriter();
    let rejected = 0;
    try {
      for (const line of toRawLines(stream, started)) {
        await writer.add(line);
        if (line.rejected) rejected += 1;
      }
      const result = await writer.put(deps.store, { rawPrefix: deps.rawPrefix, source });
      deps.logger.info('captured batch', {
        key: result?.key,
        records: writer.records,
        rejected,
        bytes: result?.bytes,
        firstSequenceNumber: writer.first?.sequenceNumber,
        lastSequenceNumber: writer.last?.sequenceNumber,
      });
      if (rejected > 0)
        deps.logger.warn('records kept for quarantine: capture could not convert them', { rejected });
      const m = deps.metrics;
      if (m) {
        m.addMetric(CAPTURE_METRICS.recordsIn, MetricUnit.Count, writer.records);
        m.addMetric(CAPTURE_METRICS.bytesWritten, MetricUnit.Bytes, result?.bytes ?? 0);
        m.addMetric(CAPTURE_METRICS.objectsWritten, MetricUnit.Count, result ? 1 : 0);
        m.addMetric(CAPTURE_METRICS.recordsRejected, MetricUnit.Count, rejected);
        m.addMetric(
          CAPTURE_METRICS.iteratorLagMs,
          MetricUnit.Milliseconds,
          Math.max(0, started - writer.oldest),
        );
      }
      return { batchItemFailures: [] };
    } catch (error) {
      deps.logger.error('raw object write failed; the whole batch will be retried', {
        records: stream.length,
        error: errorMessage(error),
      });
      throw error;
    } finally {
      deps.metrics?.publishStoredMetrics();
    }
  };
}
