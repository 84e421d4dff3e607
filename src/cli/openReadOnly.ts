import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { errorMessage, PipelineError } from '../core/errors.js';

/** DuckDB allows one writing process per file: a query while a run writes retries briefly, then says who holds it. */
export async function openReadOnly(path: string, signal: AbortSignal | undefined): Promise<DuckDBInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    } catch (error) {
      const message = errorMessage(error);
      if (!/Could not set lock/i.test(message)) throw error;
      if (attempt >= 10 || signal?.aborted) {
        const pid = /PID (\d+)/.exec(message)?.[1];
        throw new PipelineError(
          `another telemetry run${pid ? ` (PID ${pid})` : ''} is writing ${path}; try again when it has finished`,
          { terminal: true },
        );
      }
      await sleep(300);
    }
  }
}
