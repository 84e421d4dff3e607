import { gunzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { padSequence, type RawRecord } from '../../src/core/model/RawRecord.js';
import type { ObjectStore } from '../../src/ports/ObjectStore.js';
import { type ProcessOptions, processPending } from '../../src/process/processPending.js';

export const PREFIXES = {
  rawPrefix: 'raw/telemetry/',
  archivePrefix: 'archive/telemetry/',
  quarantinePrefix: 'quarantine/telemetry/',
} as const;

/** What every test stream record shares: its ids and times from `seq`. */
function streamRecord(
  seq: number,
  fields: Pick<RawRecord, 'eventName' | 'keys' | 'newImage' | 'userIdentity'>,
): RawRecord {
  return {
    eventID: `ev-${seq}`,
    sequenceNumber: padSequence(seq),
    approximateCreationTime: Date.UTC(2025, 10, 25, 20),
    ...fields,
  };
}

export function insert(item: Record<string, unknown>, seq: number): RawRecord {
  return streamRecord(seq, {
    eventName: 'INSERT',
    keys: { event_id: item.event_id },
    newImage: item,
    userIdentity: null,
  });
}

export function remove(eventId: string, seq: number, ttl = false): RawRecord {
  return streamRecord(seq, {
    eventName: 'REMOVE',
    keys: { event_id: eventId },
    newImage: null,
    userIdentity: ttl ? { type: 'Service', principalId: 'dynamodb.amazonaws.com' } : null,
  });
}

export function event(id: string, soc: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: id,
    recorded_at: '2025-11-25 20:00:00',
    vehicle: { id: 'v1', make: 'TESLA', model: 'Model 3', year: 2023 },
    signals: [
      {
        code: 'tractionbattery-stateofcharge',
        group: 'TractionBattery',
        name: 'StateOfCharge',
        body: JSON.stringify({ value: soc, unit: 'percent' }),
      },
    ],
    ...extra,
  };
}

/** A stream record an earlier capture could not convert: kept whole with its error, as toRawRecords does. */
export function unconverted(item: Record<string, unknown>, seq: number): RawRecord {
  return {
    ...streamRecord(seq, {
      eventName: 'INSERT',
      keys: null,
      newImage: {
        eventID: `ev-${seq}`,
        eventName: 'INSERT',
        dynamodb: {
          SequenceNumber: String(seq),
          ApproximateCreationDateTime: 1764100800,
          Keys: marshall({ event_id: item.event_id }),
          NewImage: marshall(item),
        },
      },
      userIdentity: null,
    }),
    captureError: 'unsupported attribute type (a bug of an earlier release)',
  };
}

/** The store, except that its `nth` delete of a key under `prefix` fails: a use case dying halfway through. */
export function dyingAtDelete(store: ObjectStore, prefix: string, nth: number): ObjectStore {
  let left = nth;
  return {
    put: (key, body, options) => store.put(key, body, options),
    get: (key) => store.get(key),
    getStream: (key) => store.getStream(key),
    head: (key) => store.head(key),
    list: (from) => store.list(from),
    copy: (from, to) => store.copy(from, to),
    describe: (key) => store.describe(key),
    delete: async (key) => {
      if (key.startsWith(prefix) && --left === 0) throw new Error('killed');
      await store.delete(key);
    },
  };
}

/** A store + in-memory DuckDB sink pair, with helpers to capture records and read the table back. */
export async function pipeline(store: ObjectStore = new MemoryObjectStore()) {
  const sink = await DuckDbSink.open(':memory:');
  return {
    store,
    sink,
    capture: (records: RawRecord[], source = 'shard-1') =>
      captureBatch(records, store, { rawPrefix: PREFIXES.rawPrefix, source }),
    process: (options: Partial<ProcessOptions> = {}) =>
      processPending({ store, sink }, { ...PREFIXES, ...options }),
    rows: async (
      sql = 'SELECT event_id, TractionBattery_StateOfCharge_value AS soc FROM telemetry.car_telemetry_flattened ORDER BY event_id',
    ) => (await sink.connection.runAndReadAll(sql)).getRowObjectsJson(),
    keys: async (prefix: string) => {
      const out: string[] = [];
      for await (const o of store.list(prefix)) out.push(o.key);
      return out;
    },
    ndjson: async (key: string) => {
      const body = Buffer.from(await store.get(key));
      const text = key.endsWith('.gz') ? gunzipSync(body).toString('utf8') : body.toString('utf8');
      return text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    },
  };
}
