import { z } from 'zod';
import { nonEmpty } from './parseEnv.js';

/**
 * How to reach Databricks. In Lambda, credentials come from Secrets Manager (the secret's ARN is configured,
 * never the credentials); locally, from DATABRICKS_TOKEN or DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET.
 */
export const databricksEnv = z.object({
  TELEMETRY_DATABRICKS_HOST: z.url(),
  TELEMETRY_DATABRICKS_WAREHOUSE_ID: nonEmpty,
  TELEMETRY_DATABRICKS_SECRET_ARN: nonEmpty.optional(),
  TELEMETRY_TABLE: nonEmpty.default('main.telemetry.car_telemetry_flattened'),
  TELEMETRY_LOAD_MODE: z.enum(['direct', 'job']).default('direct'),
  TELEMETRY_DATABRICKS_JOB_NAME: nonEmpty.default('telemetry-load'),
  /** Application id of the service principal the load job runs as (job mode); default: the deploying one. */
  TELEMETRY_DATABRICKS_RUN_AS: nonEmpty.optional(),
  /** Application id of the trigger Lambda's service principal: `deploy` lets it start runs (CAN_MANAGE_RUN). */
  TELEMETRY_DATABRICKS_TRIGGER_PRINCIPAL: nonEmpty.optional(),
  /** Comma-separated addresses that hear about every failed load run. */
  TELEMETRY_DATABRICKS_NOTIFY_EMAILS: nonEmpty.optional(),
  /** Id of a workspace notification destination (Slack, PagerDuty, webhook) told about failed load runs. */
  TELEMETRY_DATABRICKS_NOTIFY_DESTINATION_ID: nonEmpty.optional(),
  /** A statement still running after this is canceled; the CDK app sets it below the process Lambda's timeout. */
  TELEMETRY_DATABRICKS_STATEMENT_DEADLINE_SECONDS: z.coerce.number().int().positive().optional(),
});
export type DatabricksConfig = z.infer<typeof databricksEnv>;
