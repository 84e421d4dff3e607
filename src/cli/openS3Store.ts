import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { cliS3Client } from './cliS3Client.js';

/** A bucket as the AWS CLI would reach it (see {@link cliS3Client} for region, credentials and the local S3). */
export async function openS3Store(
  bucket: string,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<S3ObjectStore> {
  return new S3ObjectStore({ bucket, client: await cliS3Client(endpoint, env) });
}
