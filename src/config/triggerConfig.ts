import { z } from 'zod';
import { nonEmpty, parseEnv } from './parseEnv.js';

/** Environment of the trigger Lambda (staged manifest ObjectCreated -> Databricks jobs/run-now). */
export const triggerEnv = z.object({
  TELEMETRY_DATABRICKS_HOST: z.url(),
  TELEMETRY_DATABRICKS_SECRET_ARN: nonEmpty,
  TELEMETRY_DATABRICKS_JOB_NAME: nonEmpty.default('telemetry-load'),
});
export type TriggerConfig = z.infer<typeof triggerEnv>;

export function parseTriggerConfig(env: NodeJS.ProcessEnv = process.env): TriggerConfig {
  return parseEnv(triggerEnv, env, 'trigger');
}
