import { PipelineError } from '../../core/errors.js';

/**
 * A Databricks REST call or SQL statement that failed. `terminal` says whether retrying can help: throttling,
 * unavailability, timeouts and Delta write conflicts are transient; bad SQL, auth and permissions are terminal.
 */
export class DatabricksError extends PipelineError {
  constructor(
    message: string,
    readonly details: { readonly status?: number; readonly errorCode?: string; readonly terminal: boolean },
  ) {
    super(message, { terminal: details.terminal });
  }
}

/** Status codes worth retrying (with backoff, honouring Retry-After). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Plain-words hints for the errors users meet first. */
export function explainStatus(status: number): string {
  if (status === 401)
    return 'authentication failed: check the token or the service principal client id/secret';
  if (status === 403) return 'permission denied: the principal lacks a grant (see docs/databricks.md)';
  if (status === 404) return 'not found: check the host, warehouse id or job';
  if (status === 429) return 'rate limited by Databricks';
  return `HTTP ${status}`;
}
