import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../config/localAws.js';
import { UsageError } from './CliIO.js';

function isLoopback(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    throw new UsageError(`--endpoint must be a URL, got '${url}'`);
  }
}

/**
 * A bucket as the AWS CLI would reach it: region from AWS_REGION, AWS_DEFAULT_REGION, then the profile (the SDK's
 * own chain) and the SDK's credential chain; a loopback endpoint without AWS credentials is the local S3 server
 * of `telemetry dev` (its fixed local credentials).
 */
export async function openS3Store(
  bucket: string,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<S3ObjectStore> {
  const local = endpoint !== undefined && isLoopback(endpoint) && !env.AWS_ACCESS_KEY_ID;
  const { S3Client } = await import('@aws-sdk/client-s3');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? LOCAL_REGION : undefined);
  const client = new S3Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return new S3ObjectStore({ bucket, client });
}
