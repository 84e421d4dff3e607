import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/dev/localAws.js';
import { type RunningS3Server, startS3Server } from '../../src/dev/startS3Server.js';
import { tempDir } from './cli.js';

/** The S3 server `telemetry dev` runs, with these buckets, for the describe block that calls this. */
export interface LocalS3 {
  readonly endpoint: string;
  /** A store on one of the buckets (the client is shared, destroyed after the block). */
  store(bucket: string): S3ObjectStore;
  /** A folder deleted after the block (data folders of the CLI runs). */
  readonly dir: string;
}

/**
 * Starts the S3 server before the calling describe block's tests and stops it after them.
 *
 * @example
 * const s3 = localS3(['data']);
 * it('...', async () => { await cli(['process', '--bucket', 'data', '--endpoint', s3.endpoint]); });
 */
export function localS3(buckets: string[]): LocalS3 {
  const dir = tempDir('s3-server-');
  let server: RunningS3Server | undefined;
  let client: S3Client | undefined;
  beforeAll(async () => {
    server = await startS3Server({ directory: join(dir.path, 's3'), buckets });
    client = new S3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
    dir.cleanup();
  });
  const started = () => {
    if (!server || !client) throw new Error('the S3 server is not started yet (use it inside a test)');
    return { server, client };
  };
  return {
    get endpoint() {
      return started().server.endpoint;
    },
    store: (bucket) => new S3ObjectStore({ bucket, client: started().client }),
    dir: dir.path,
  };
}
