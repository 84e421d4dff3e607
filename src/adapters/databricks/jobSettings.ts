/** How the `telemetry-load` job is started besides the trigger Lambda. */
export type JobTrigger = 'schedule' | 'file-arrival' | 'none';

export interface JobSettingsInput {
  readonly name: string;
  readonly warehouseId: string;
  /** Workspace path of the generated SQL file (`/Workspace/...`). */
  readonly sqlFilePath: string;
  /** `s3://bucket/staged/` (file arrival watches it). */
  readonly stagedUrl: string;
  readonly trigger: JobTrigger;
  /** Application id of the service principal the job runs as (absent: whoever deploys it). */
  readonly runAs?: string;
  /** Who hears about a failed run: e-mail addresses and notification destination ids. */
  readonly notify?: { readonly emails?: readonly string[]; readonly destinationIds?: readonly string[] };
}

/**
 * The safety schedule: hourly. Loads normally start when a batch is staged (trigger Lambda); a SQL warehouse
 * stops after 10 idle minutes at the earliest, so anything more frequent would keep it running around the clock.
 */
export const SAFETY_SCHEDULE = '0 0 * * * ?';

/**
 * Jobs API 2.2 settings of the load job: one SQL task on the warehouse, queueing on, one run at a time (later
 * triggers queue and find nothing left to do), an hourly schedule or a file-arrival trigger as the safety net, run as
 * a service principal (`run_as`), failed runs notified by e-mail and/or a notification destination.
 *
 * @example
 * const settings = loadJobSettings({ name: 'telemetry-load', warehouseId, sqlFilePath, stagedUrl, trigger: 'schedule' });
 */
export function loadJobSettings(input: JobSettingsInput): Record<string, unknown> {
  return {
    name: input.name,
    description:
      'Loads staged telemetry batches (Parquet) into the Unity Catalog table. Managed by `telemetry deploy`.',
    max_concurrent_runs: 1,
    queue: { enabled: true },
    timeout_seconds: 3600,
    tags: { product: 'chargeminder-telemetry', managed_by: 'telemetry-deploy' },
    ...(input.runAs ? { run_as: { service_principal_name: input.runAs } } : {}),
    ...(input.notify?.emails?.length
      ? { email_notifications: { on_failure: [...input.notify.emails], no_alert_for_skipped_runs: true } }
      : {}),
    ...(input.notify?.destinationIds?.length
      ? { webhook_notifications: { on_failure: input.notify.destinationIds.map((id) => ({ id })) } }
      : {}),
    ...(input.trigger === 'schedule'
      ? {
          schedule: { quartz_cron_expression: SAFETY_SCHEDULE, timezone_id: 'UTC', pause_status: 'UNPAUSED' },
        }
      : {}),
    ...(input.trigger === 'file-arrival'
      ? {
          trigger: {
            pause_status: 'UNPAUSED',
            file_arrival: { url: input.stagedUrl, min_time_between_triggers_seconds: 60 },
          },
        }
      : {}),
    tasks: [
      {
        task_key: 'load_pending_batches',
        sql_task: { warehouse_id: input.warehouseId, file: { path: input.sqlFilePath, source: 'WORKSPACE' } },
        timeout_seconds: 3600,
        max_retries: 2,
        min_retry_interval_millis: 60_000,
        retry_on_timeout: true,
      },
    ],
  };
}
