import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { handler } from '../../src/capture/captureHandler.js';
import { makeCaptureHandler } from '../../src/capture/makeCaptureHandler.js';
import { streamName } from '../../src/capture/streamName.js';
import { ConfigError } from '../../src/core/errors.js';
import { ObjectNotFoundError } from '../../src/ports/ObjectStore.js';
import { readFixture } from '../support/fixtures.js';

const ARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/chargeminder-car-telemetry/stream/2025-11-25T20:00:00.000';
const ITEM = readFixture('seed/dynamodb-item-example.json') as Record<string, unknown>;

/** A record exactly as Lambda delivers it (epoch-second creation time, typed attribute values). */
function record(seq: number, overrides: Partial<DynamoDBRecord> = {}, item = ITEM): DynamoDBRecord {
  const image = marshall(item, { removeUndefinedValues: true }) as NonNullable<
    DynamoDBRecord['dynamodb']
  >['NewImage'];
  return {
    eventID: `id-${seq}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: 1764100800 + seq,
      Keys: { event_id: { S: String(item.event_id) } },
      NewImage: image,
      SequenceNumber: `1000000000000000000${seq}`,
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: ARN,
    ...overrides,
  };
}

const silent = () => new Logger({ logLevel: 'SILENT' });

async function lines(store: MemoryObjectStore, key: string): Promise<Record<string, unknown>[]> {
  return gunzipSync(Buffer.from(await store.get(key)))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function allKeys(store: MemoryObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list('')) out.push(o.key);
  return out;
}

describe('capture handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('writes ONE gzip NDJSON object under the hour of the first record, keyed by stream and sequence range', async () => {
    const store = new MemoryObjectStore();
    const capture = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: silent() });
    const result = await capture({ Records: [record(1), record(2), record(3)] });
    expect(result).toEqual({ batchItemFailures: [] });
    const keys = await allKeys(store);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      /^telemetry\/2025\/11\/25\/20\/stream-2025-11-25T20_00_00\.000-0+10000000000000000001-0+10000000000000000003\.ndjson\.gz$/,
    );
    const written = await lines(store, keys[0] as string);
    expect(written.map((l) => l.eventID)).toEqual(['id-1', 'id-2', 'id-3']);
    expect(written[0]).toMatchObject({
      eventName: 'INSERT',
      approximateCreationTime: 1764100801000,
      keys: { event_id: 'test-1764100800' },
      newImage: { event_id: 'test-1764100800', vehicle: { make: 'Tesla' } },
      userIdentity: null,
    });
  });

  it('a retried identical batch rewrites the same object (no duplicate)', async () => {
    const store = new MemoryObjectStore();
    const capture = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: silent() });
    const event: DynamoDBStreamEvent = { Records: [record(1), record(2)] };
    await capture(event);
    const first = await allKeys(store);
    await capture(structuredClone(event));
    expect(await allKeys(store)).toEqual(first);
  });

  it('keeps numbers beyond double precision exact, and TTL deletions with their user identity', async () => {
    const store = new MemoryObjectStore();
    const capture = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: silent() });
    const precise = record(1);
    (precise.dynamodb as { NewImage: Record<string, unknown> }).NewImage.odometer_raw = {
      N: '12345678901234567890.123',
    };
    const ttl = record(2, {
      eventName: 'REMOVE',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    });
    delete (ttl.dynamodb as { NewImage?: unknown }).NewImage;
    await capture({ Records: [precise, ttl] });
    const [key] = await allKeys(store);
    const text = gunzipSync(Buffer.from(await store.get(key as string))).toString('utf8');
    expect(text).toContain('"odometer_raw":"12345678901234567890.123"');
    const [, removed] = await lines(store, key as string);
    expect(removed).toMatchObject({
      eventName: 'REMOVE',
      newImage: null,
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    });
  });

  it('a record it cannot convert does not block the shard: it is kept for quarantine, no batch item failure', async () => {
    const store = new MemoryObjectStore();
    const capture = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: silent() });
    const broken = record(2, { eventName: 'UPSERT' as 'INSERT' });
    const result = await capture({ Records: [record(1), broken, record(3)] });
    expect(result.batchItemFailures).toEqual([]);
    const written = await lines(store, (await allKeys(store))[0] as string);
    expect(written).toHaveLength(3);
    expect(written[1]).toMatchObject({ eventID: 'id-2', captureError: expect.stringContaining('UPSERT') });
    expect(written[1]?.newImage).toMatchObject({ eventName: 'UPSERT', eventID: 'id-2' });
  });

  it('throws when the object cannot be written, so Lambda retries the whole batch', async () => {
    const store = new MemoryObjectStore();
    vi.spyOn(store, 'put').mockRejectedValue(new Error('503 Slow Down'));
    const capture = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: silent() });
    await expect(capture({ Records: [record(1)] })).rejects.toThrow('503 Slow Down');
  });

  it('emits records, bytes, objects and lag as EMF metrics', async () => {
    const store = new MemoryObjectStore();
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'capture' });
    const added: Record<string, number> = {};
    vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added[name] = value;
      return metrics;
    });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const capture = makeCaptureHandler({
      store,
      rawPrefix: 'telemetry/',
      logger: silent(),
      metrics,
      now: () => (1764100800 + 10) * 1000,
    });
    await capture({ Records: [record(1), record(2)] });
    expect(added).toMatchObject({ RecordsIn: 2, ObjectsWritten: 1, RecordsRejected: 0, IteratorLagMs: 9000 });
    expect(added.BytesWritten).toBeGreaterThan(0);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledOnce();
  });

  it('an empty event writes nothing', async () => {
    const store = new MemoryObjectStore();
    const capture = makeCaptureHandler({ store, rawPrefix: 'telemetry/', logger: silent() });
    expect(await capture({ Records: [] })).toEqual({ batchItemFailures: [] });
    await expect(store.get('x')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await allKeys(store)).toEqual([]);
  });

  it('names the stream from eventSourceARN', () => {
    expect(streamName(ARN)).toBe('stream-2025-11-25T20:00:00.000');
    expect(streamName(undefined)).toBe('stream');
  });

  it('the Lambda entry validates its environment with a clear error', async () => {
    vi.stubEnv('TELEMETRY_BUCKET', '');
    vi.stubEnv('TELEMETRY_RAW_PREFIX', 'no-trailing-slash');
    const error = await handler({ Records: [record(1)] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /invalid capture configuration: TELEMETRY_BUCKET: .*TELEMETRY_RAW_PREFIX/,
    );
  });
});
