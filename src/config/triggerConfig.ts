import { z } from 'zod';
import { nonEmpty, parseEnv } from './parseEnv.js';

/** Environment of the trigger Lambda (staged manifest ObjectCreated -> Databricks jobs/run-now). */
export const triggerEnv = z.object({
  TELEMETRY_DATABRICKS_HOST: z.url(),
  TELEMETRY_DATABRICKS_SECRET_ARN: nonEmpty,
  TELEMETRY_DATABRICKS_JOB_NAME: nonEmpty.default('telemetry-load'),
});
/**
 * The trigger's Databricks client: few, short attempts, so all of them fit the function's timeout (the async
 * invocation retries cover longer outages). `retryBudgetSeconds` is what the CDK app checks the timeout against.
 */
export const TRIGGER_HTTP = { maxAttempts: 3, requestTimeoutMs: 15_000, backoffCapMs: 5_000 } as const;
export const triggerRetryBudgetSeconds =
  (TRIGGER_HTTP.maxAttempts * TRIGGER_HTTP.requestTimeoutMs +
    (TRIGGER_HTTP.maxAttempts - 1) * TRIGGER_HTTP.backoffCapMs) /
  1000;

export type TriggerConfig = z.infer<typeof triggerEnv>;

export function parseTriggerConfig(env: NodeJS.ProcessEnv = process.env): TriggerConfig {
  return parseEnv(triggerEnv, env, 'trigger');
}
