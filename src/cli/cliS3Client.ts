import type { S3Client } from '@aws-sdk/client-s3';
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
 * The S3 client of a CLI command. Region as the AWS CLI finds it (AWS_REGION, AWS_DEFAULT_REGION, then the
 * profile's: the SDK's own chain); a loopback endpoint without AWS credentials in the environment is the local S3
 * of `telemetry dev`, which takes its fixed key pair. The SDK is loaded on demand (`telemetry query` skips it).
 */
export async function cliS3Client(endpoint: string | undefined, env: NodeJS.ProcessEnv): Promise<S3Client> {
  const local = endpoint !== undefined && isLoopback(endpoint) && !env.AWS_ACCESS_KEY_ID;
  const { S3Client } = await import('@aws-sdk/client-s3');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? LOCAL_REGION : undefined);
  return new S3Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}
