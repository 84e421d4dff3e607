import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { ensureBucket, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/dev/localAws.js';
import { type RunningS3Server, startS3Server } from '../../src/dev/startS3Server.js';
import { objectStoreContract } from './objectStoreContract.js';

objectStoreContract('MemoryObjectStore', async () => ({
  store: new MemoryObjectStore(),
  cleanup: () => undefined,
}));

objectStoreContract('FsObjectStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
  return { store: new FsObjectStore(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

let server: RunningS3Server;
let serverDir: string;
let client: S3Client;
beforeAll(async () => {
  serverDir = mkdtempSync(join(tmpdir(), 's3rver-contract-'));
  server = await startS3Server({ directory: serverDir });
  client = new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
  rmSync(serverDir, { recursive: true, force: true });
});

// A fresh bucket per case; small listing pages so that continuation tokens are exercised.
objectStoreContract('S3ObjectStore on an S3 server (s3rver)', async () => {
  const bucket = `contract-${randomUUID().slice(0, 8)}`;
  await ensureBucket(client, bucket);
  return { store: new S3ObjectStore({ bucket, client, pageSize: 2 }), cleanup: () => undefined };
});
