import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { captureBatch } from '../../src/capture/captureBatch.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/dev/localAws.js';
import { type RunningS3Server, startS3Server } from '../../src/dev/startS3Server.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { event, insert, remove } from '../support/pipeline.js';

describe('telemetry process', () => {
  let server: RunningS3Server;
  let serverDir: string;
  beforeAll(async () => {
    serverDir = mkdtempSync(join(tmpdir(), 'process-cmd-s3-'));
    server = await startS3Server({ directory: serverDir, buckets: ['raw'] });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(serverDir, { recursive: true, force: true });
  });

  it('processes the raw objects of the data folder once, and a second run finds nothing', async () => {
    const data = tempDir();
    try {
      const store = new FsObjectStore(data.path);
      await captureBatch([insert(event('a', 1), 1), insert(event('b', 2), 2)], store, {
        rawPrefix: 'raw/telemetry/',
        source: 's',
      });
      await captureBatch([remove('a', 3)], store, { rawPrefix: 'raw/telemetry/', source: 's' });
      const first = await cli(['process', '--data-dir', data.path]);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(
        '3 records from 2 object(s), 1 inserted, 0 updated, 1 unchanged, 0 deleted, 1 skipped',
      );
      const again = await cli(['process', '--data-dir', data.path, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ objects: 0, records: 0 });
      expect((await tableContent(join(data.path, 'warehouse.duckdb'))).map((r) => r.event_id)).toEqual(['b']);
    } finally {
      data.cleanup();
    }
  });

  it('reads raw objects from a bucket on an S3-compatible endpoint', async () => {
    const data = tempDir();
    const client = new S3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const store = new S3ObjectStore({ bucket: 'raw', client });
      await captureBatch([insert(event('c', 3), 1)], store, { rawPrefix: 'telemetry/', source: 's' });
      const r = await cli([
        'process',
        '--bucket',
        'raw',
        '--endpoint',
        server.endpoint,
        '--data-dir',
        data.path,
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('s3://raw/telemetry/');
      expect(r.stdout).toContain('1 inserted');
      const archived: string[] = [];
      for await (const o of store.list('archive/telemetry/')) archived.push(o.key);
      expect(archived).toHaveLength(1);
      expect((await tableContent(join(data.path, 'warehouse.duckdb'))).map((x) => x.event_id)).toEqual(['c']);
    } finally {
      client.destroy();
      data.cleanup();
    }
  });

  it('rejects wrong usage with exit code 2', async () => {
    expect((await cli(['process', '--endpoint', 'http://127.0.0.1:1'])).code).toBe(2);
    expect((await cli(['process', '--batch-events', '0'])).code).toBe(2);
    expect((await cli(['process', '--raw-prefix', 'no-slash'])).code).toBe(2);
  });
});
