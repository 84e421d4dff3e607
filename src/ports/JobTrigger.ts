/**
 * Starts the load job. Idempotent per token: starting twice with the same token starts one run (Databricks
 * `jobs/run-now` `idempotency_token`, at most 64 characters).
 *
 * @example
 * const runId = await trigger.start('3f2a...'); // same token again -> same runId
 */
export interface JobTrigger {
  start(idempotencyToken: string): Promise<number>;
}
