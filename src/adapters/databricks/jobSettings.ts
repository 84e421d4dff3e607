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
}

/**
 * Jobs API 2.2 settings of the load job: one SQL task on the warehouse, queueing on, one run at a time (later
 * triggers queue and find nothing left to do), a 5-minute schedule or a file-arrival trigger as the safety net.
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
    ...(input.trigger === 'schedule'
      ? {
          schedule: { quartz_cron_expression: '0 0/5 * * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' },
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
