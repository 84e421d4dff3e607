import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { makeCaptureHandler } from '../../src/capture/makeCaptureHandler.js';
import { METRICS_NAMESPACE, PROCESS_METRICS } from '../../src/config/metrics.js';
import { ConfigError } from '../../src/core/errors.js';
import { handler, makeProcessHandler } from '../../src/process/processHandler.js';
import { event, insert } from '../support/pipeline.js';

const PREFIXES = {
  rawPrefix: 'telemetry/',
  archivePrefix: 'archive/telemetry/',
  quarantinePrefix: 'quarantine/telemetry/',
};

async function keys(store: MemoryObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

function setup() {
  const store = new MemoryObjectStore();
  const sinks: DuckDbSink[] = [];
  let closed = 0;
  const createSink = async () => {
    const sink = await DuckDbSink.open(':memory:');
    sinks.push(sink);
    const close = sink.close.bind(sink);
    sink.close = async () => {
      closed += 1;
      // keep the database open so that the test can read it; closed at the end of the test
    };
    onTestFinished(close);
    return sink;
  };
  const process = makeProcessHandler({
    store,
    createSink,
    ...PREFIXES,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  return { store, process, sinks, closed: () => closed };
}

describe('process handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('processes pending raw objects into the sink, archives them and closes the sink', async () => {
    const { store, process, sinks, closed } = setup();
    await captureBatch([insert(event('a', 10), 1), insert(event('b', 20), 2)], store, {
      rawPrefix: PREFIXES.rawPrefix,
      source: 'stream-x',
    });
    const summary = await process({}, { getRemainingTimeInMillis: () => 900_000 });
    expect(summary).toMatchObject({ objects: 1, records: 2, inserted: 2, stoppedEarly: false });
    expect(await keys(store, PREFIXES.rawPrefix)).toEqual([]);
    expect(await keys(store, PREFIXES.archivePrefix)).toHaveLength(1);
    const rows = await sinks[0]?.connection.runAndReadAll(
      'SELECT event_id FROM telemetry.car_telemetry_flattened ORDER BY 1',
    );
    expect(rows?.getRows()).toEqual([['a'], ['b']]);
    expect(closed()).toBe(1);
  });

  it('takes no new object near the deadline; the next invocation continues', async () => {
    const { store, process } = setup();
    await captureBatch([insert(event('a', 10), 1)], store, { rawPrefix: PREFIXES.rawPrefix, source: 's' });
    const late = await process({}, { getRemainingTimeInMillis: () => 30_000 });
    expect(late).toMatchObject({ objects: 0, stoppedEarly: true });
    expect(await keys(store, PREFIXES.rawPrefix)).toHaveLength(1);
    const next = await process({}, { getRemainingTimeInMillis: () => 900_000 });
    expect(next).toMatchObject({ objects: 1, inserted: 1 });
  });

  it('quarantines, with the reason, a stream record that capture could not convert', async () => {
    const { store, process } = setup();
    const capture = makeCaptureHandler({ store, ...PREFIXES, logger: new Logger({ logLevel: 'SILENT' }) });
    await capture({
      Records: [{ eventID: 'odd', eventName: 'UPSERT' as 'INSERT', dynamodb: { SequenceNumber: '17' } }],
    });
    const summary = await process({}, { getRemainingTimeInMillis: () => 900_000 });
    expect(summary.quarantinedByReason).toEqual({
      'capture: stream record with unknown eventName "UPSERT"': 1,
    });
    expect(await keys(store, PREFIXES.quarantinePrefix)).toHaveLength(1);
  });

  it('emits the metrics contract, with the oldest pending object age on every run', async () => {
    const store = new MemoryObjectStore();
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'process' });
    const added: Record<string, number> = {};
    vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added[name] = value;
      return metrics;
    });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const process = makeProcessHandler({
      store,
      createSink: () => DuckDbSink.open(':memory:'),
      ...PREFIXES,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
    });
    await captureBatch([insert(event('a', 10), 1)], store, { rawPrefix: PREFIXES.rawPrefix, source: 's' });
    await process({}, { getRemainingTimeInMillis: () => 900_000 });
    expect(Object.keys(added).sort()).toEqual(Object.values(PROCESS_METRICS).sort());
    expect(added).toMatchObject({ RecordsIn: 1, RowsLoaded: 1, OldestPendingAgeMs: 0, Quarantined: 0 });
  });

  it('the Lambda entry validates its environment with a clear error', async () => {
    vi.stubEnv('TELEMETRY_BUCKET', 'raw-bucket');
    vi.stubEnv('TELEMETRY_DATABRICKS_HOST', 'not a url');
    vi.stubEnv('TELEMETRY_DATABRICKS_WAREHOUSE_ID', '');
    const error = await handler({}, { getRemainingTimeInMillis: () => 900_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /invalid process configuration: .*TELEMETRY_DATABRICKS_HOST.*TELEMETRY_DATABRICKS_WAREHOUSE_ID/,
    );
  });
});
