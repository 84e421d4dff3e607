import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { makeProcessHandler } from '../../src/process/processHandler.js';
import { acquireLease, leaseKey } from '../../src/process/processLease.js';
import { cli, tempDir } from '../support/cli.js';
import { event, insert } from '../support/pipeline.js';
import { type MotoServer, startMotoServer } from './startMotoServer.js';

const PREFIXES = {
  rawPrefix: 'telemetry/',
  archivePrefix: 'archive/telemetry/',
  quarantinePrefix: 'quarantine/telemetry/',
};
const KEY = leaseKey('staged/');

async function keys(store: S3ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

describe('process lease on an S3 that honours conditional writes (moto)', () => {
  let moto: MotoServer;
  let bucket = 0;
  const freshStore = async () => {
    const name = `lease-test-${++bucket}`;
    await moto.createBucket(name);
    return new S3ObjectStore({ bucket: name, client: moto.client });
  };
  beforeAll(async () => {
    moto = await startMotoServer();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('two process runs started together: one loads everything once, the other stops at the lease', async () => {
    // Prepare: 3 raw objects, one shared table, two handlers on the same bucket.
    const store = await freshStore();
    for (let i = 0; i < 3; i++) {
      await captureBatch(
        [insert(event(`e${i}a`, 10), 2 * i + 1), insert(event(`e${i}b`, 20), 2 * i + 2)],
        store,
        {
          rawPrefix: PREFIXES.rawPrefix,
          source: `stream-${i}`,
        },
      );
    }
    const sink = await DuckDbSink.open(':memory:');
    // One table for both runs; closed by the test once it has read it.
    const close = sink.close.bind(sink);
    sink.close = async () => {};
    const messages: string[] = [];
    const logger = new Logger({ logLevel: 'SILENT' });
    logger.warn = (message: unknown, ..._rest: unknown[]) => {
      messages.push(String(message));
    };
    const run = () =>
      makeProcessHandler({
        store,
        createSink: async () => sink,
        ...PREFIXES,
        logger,
        lease: { store, key: KEY, ttlMs: 60_000 },
      });

    // Act
    const [a, b] = await Promise.all([
      run()({}, { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'run-a' }),
      run()({}, { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'run-b' }),
    ]);

    // Assess: exactly one worked, the other names the holder; every row once; the lease is released.
    const worked = [a, b].filter((s) => s.leaseHeldBy === undefined);
    const stopped = [a, b].filter((s) => s.leaseHeldBy !== undefined);
    expect(worked).toHaveLength(1);
    expect(stopped).toHaveLength(1);
    expect(worked[0]).toMatchObject({ objects: 3, records: 6, inserted: 6 });
    expect(stopped[0]).toMatchObject({ objects: 0, records: 0 });
    expect(['run-a', 'run-b']).toContain(stopped[0]?.leaseHeldBy);
    expect(messages).toEqual(['another process run holds the lease; this run stops without work']);
    const rows = await sink.connection.runAndReadAll(
      'SELECT count(*)::INT, count(DISTINCT event_id)::INT FROM telemetry.car_telemetry_flattened',
    );
    expect(rows.getRows()).toEqual([[6, 6]]);
    expect(await keys(store, PREFIXES.rawPrefix)).toEqual([]);
    expect(await keys(store, PREFIXES.archivePrefix)).toHaveLength(3);
    expect(await store.readVersion(KEY)).toBeUndefined();
    await close();
  });

  it('a live lease is refused; an expired one is taken over by exactly one of two runs', async () => {
    // Prepare: a lease held by a run that crashed at t=0 with a 1-minute ttl.
    const store = await freshStore();
    const crashed = await acquireLease(store, KEY, { owner: 'crashed', ttlMs: 60_000, now: () => 0 });
    expect(crashed.acquired).toBe(true);

    // Act
    const live = await acquireLease(store, KEY, { owner: 'early', ttlMs: 60_000, now: () => 30_000 });
    const late = await Promise.all(
      ['x', 'y'].map((owner) => acquireLease(store, KEY, { owner, ttlMs: 60_000, now: () => 120_000 })),
    );

    // Assess
    expect(live).toMatchObject({ acquired: false, heldBy: { owner: 'crashed' } });
    expect(late.filter((l) => l.acquired)).toHaveLength(1);
    const holder = late.find((l) => l.acquired);
    const loser = late.find((l) => !l.acquired);
    if (!holder?.acquired || loser?.acquired !== false) throw new Error('expected one winner');
    if (crashed.acquired) await crashed.release(); // the crashed run's late release must not free the new lease
    expect(await store.readVersion(KEY)).toBeDefined();
    await holder.release();
    expect(await store.readVersion(KEY)).toBeUndefined();
  });
  it('telemetry process --bucket takes the same lease: while the Lambda holds it the CLI does nothing and says who', async () => {
    // Prepare: the Lambda (say) holds the lease for ten more minutes; one raw object waits.
    const store = await freshStore();
    const held = await acquireLease(store, KEY, { owner: 'lambda-request-1', ttlMs: 600_000 });
    await captureBatch([insert(event('d', 4), 1)], store, { rawPrefix: PREFIXES.rawPrefix, source: 's' });
    const data = tempDir();
    const args = ['process', '--bucket', store.bucket, '--endpoint', moto.endpoint, '--data-dir', data.path];
    try {
      // Act
      const blocked = await cli(args);
      const waiting = await keys(store, PREFIXES.rawPrefix);
      if (held.acquired) await held.release();
      const after = await cli(args);
      // Assess
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(
        /another process run \(lambda-request-1\) holds the lease .* until \d{4}-/,
      );
      expect(waiting).toHaveLength(1);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toContain('1 inserted');
      expect(await keys(store, KEY)).toEqual([]);
    } finally {
      data.cleanup();
    }
  }, 60_000);
});
