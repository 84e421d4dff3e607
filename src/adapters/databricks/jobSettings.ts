import { LOAD_PARAMETERS } from './loadSql.js';

export interface JobSettingsInput {
  readonly name: string;
  readonly warehouseId: string;
  /** Workspace path of the generated SQL file (`/Workspace/...`). */
  readonly sqlFilePath: string;
  /** Application id of the service principal the job runs as (absent: whoever deploys it). */
  readonly runAs?: string;
  /** Who hears about a failed run: e-mail addresses and notification destination ids. */
  readonly notify?: { readonly emails?: readonly string[]; readonly destinationIds?: readonly string[] };
}

/**
 * Jobs API 2.2 settings of the load job: one SQL file task on the warehouse that loads ONE staged batch, named by
 * the run's job parameters (pushed down to the SQL task). Runs start when a batch is staged (the trigger Lambda's
 * `run-now` per manifest), never on a schedule: a SQL warehouse stops after 10 idle minutes at the earliest, and a
 * run without a batch has nothing to do. Queueing on and one run at a time (batches load in turn; their order
 * does not matter to the load rule); run as a service principal (`run_as`); failed runs notified by e-mail and/or a
 * notification destination.
 *
 * @example
 * const settings = loadJobSettings({ name: 'telemetry-load', warehouseId, sqlFilePath });
 */
export function loadJobSettings(input: JobSettingsInput): Record<string, unknown> {
  return {
    name: input.name,
    description:
      'Loads one staged telemetry batch (Parquet) into the Unity Catalog table per run. Managed by `telemetry deploy`.',
    max_concurrent_runs: 1,
    queue: { enabled: true },
    timeout_seconds: 3600,
    tags: { product: 'chargeminder-telemetry', managed_by: 'telemetry-deploy' },
    parameters: LOAD_PARAMETERS.map((name) => ({ name, default: '' })),
    ...(input.runAs ? { run_as: { service_principal_name: input.runAs } } : {}),
    ...(input.notify?.emails?.length
      ? { email_notifications: { on_failure: [...input.notify.emails], no_alert_for_skipped_runs: true } }
      : {}),
    ...(input.notify?.destinationIds?.length
      ? { webhook_notifications: { on_failure: input.notify.destinationIds.map((id) => ({ id })) } }
      : {}),
    tasks: [
      {
        task_key: 'load_batch',
        sql_task: { warehouse_id: input.warehouseId, file: { path: input.sqlFilePath, source: 'WORKSPACE' } },
        timeout_seconds: 3600,
        max_retries: 2,
        min_retry_interval_millis: 60_000,
        retry_on_timeout: true,
      },
    ],
  };
}
