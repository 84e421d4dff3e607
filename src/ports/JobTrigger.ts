/**
 * Starts the load job for one staged batch. Idempotent per token: starting twice with the same token starts one run
 * (Databricks `jobs/run-now` `idempotency_token`, at most 64 characters). `parameters` are the run's job parameters.
 *
 * @example
 * const runId = await trigger.start('3f2a...', { batch_id: 'b1', rows_path: 's3://...' }); // same token -> same run
 */
export interface JobTrigger {
  start(idempotencyToken: string, parameters: Readonly<Record<string, string>>): Promise<number>;
}
