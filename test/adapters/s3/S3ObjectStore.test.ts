import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { S3ObjectStore } from '../../../src/adapters/s3/S3ObjectStore.js';
import { TransientError } from '../../../src/core/errors.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../src/dev/localAws.js';
import { type RunningS3Server, startS3Server } from '../../../src/dev/startS3Server.js';
import { ObjectNotFoundError } from '../../../src/ports/ObjectStore.js';
import { processPending } from '../../../src/process/processPending.js';
import { type Fault, type FaultyProxy, startFaultyProxy } from '../../integration/support/faultyProxy.js';

let server: RunningS3Server;
let proxy: FaultyProxy;
let dir: string;
let fault: Fault = 'pass';
const clients: S3Client[] = [];

function client(endpoint: string): S3Client {
  const c = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 's3-store-'));
  server = await startS3Server({ directory: dir, buckets: ['b'] });
  proxy = await startFaultyProxy(server.endpoint, () => fault);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('S3ObjectStore failure mapping', () => {
  let store: S3ObjectStore;
  let direct: S3ObjectStore;
  beforeEach(() => {
    fault = 'pass';
    store = new S3ObjectStore({ bucket: 'b', client: client(proxy.endpoint) });
    direct = new S3ObjectStore({ bucket: 'b', client: client(server.endpoint) });
  });

  it.each(['fail-503', 'lose-response'] as const)(
    '%s on any call is a TransientError naming the call',
    async (f) => {
      await direct.put('x', Buffer.from('x'));
      fault = f;
      await expect(store.put('y', Buffer.from('y'))).rejects.toThrow(TransientError);
      await expect(store.get('x')).rejects.toThrow(/S3 get x/);
      await expect(store.head('x')).rejects.toThrow(TransientError);
      await expect(store.copy('x', 'z')).rejects.toThrow(TransientError);
      await expect(store.delete('x')).rejects.toThrow(TransientError);
      await expect(
        (async () => {
          for await (const _ of store.list('')) {
            // consume
          }
        })(),
      ).rejects.toThrow(/S3 list/);
    },
  );

  it('a missing key is ObjectNotFoundError, not a transient failure', async () => {
    await expect(store.get('nope')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('a body cut off mid-stream is a TransientError: process fails the run and does not quarantine the object', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({ eventName: 'INSERT', i, pad: 'x'.repeat(50) }),
    );
    await direct.put(
      'telemetry/2025/11/25/20/cut.ndjson.gz',
      gzipSync(`${lines.join('\n')}\n`, { level: 0 }),
    );
    fault = 'cut-body';
    await expect(store.get('telemetry/2025/11/25/20/cut.ndjson.gz')).rejects.toThrow(TransientError);

    // Only the GET of that object is cut; listing and the rest pass.
    proxy.policy = (_n, method, path) =>
      method === 'GET' && path.includes('cut.ndjson.gz') ? 'cut-body' : 'pass';
    const sink = await DuckDbSink.open(':memory:');
    try {
      const run = processPending(
        { store, sink },
        {
          rawPrefix: 'telemetry/',
          archivePrefix: 'archive/telemetry/',
          quarantinePrefix: 'quarantine/telemetry/',
        },
      );
      await expect(run).rejects.toThrow(TransientError);
      expect(await direct.head('quarantine/telemetry/2025/11/25/20/cut.ndjson.gz')).toBeUndefined();
      expect(await direct.head('telemetry/2025/11/25/20/cut.ndjson.gz')).toBeDefined();
    } finally {
      proxy.policy = () => fault;
      await sink.close();
    }
  });
});
