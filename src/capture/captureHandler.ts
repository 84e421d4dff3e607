import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { lambdaInstance } from '../compose/lambdaInstance.js';
import { parseCaptureConfig } from '../config/captureConfig.js';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../config/metrics.js';
import { type CaptureHandler, makeCaptureHandler } from './makeCaptureHandler.js';

/** Builds the handler from `TELEMETRY_*` variables (throws a ConfigError naming every problem). */
export function captureHandlerFromEnv(env: NodeJS.ProcessEnv = process.env): CaptureHandler {
  const config = parseCaptureConfig(env);
  logger = new Logger({ serviceName: SERVICE_NAMES.capture });
  const store = new S3ObjectStore({
    bucket: config.TELEMETRY_BUCKET,
    endpoint: config.TELEMETRY_S3_ENDPOINT,
  });
  return makeCaptureHandler({
    store,
    rawPrefix: config.TELEMETRY_RAW_PREFIX,
    logger,
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAMES.capture }),
  });
}

let logger: Logger;

const instance = lambdaInstance(() => captureHandlerFromEnv());

/**
 * The capture Lambda (DynamoDB Streams -> S3 raw objects); deploy with ReportBatchItemFailures and
 * BisectBatchOnFunctionError. Logic: {@link makeCaptureHandler}.
 */
export async function handler(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
  const capture = instance();
  // Request id and cold start on every log line of this invocation.
  if (context) logger.addContext(context);
  return capture(event);
}
