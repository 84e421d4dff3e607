import { TransientError } from '../../core/errors.js';
import { DatabricksError } from './DatabricksError.js';
import type { DatabricksHttp } from './DatabricksHttp.js';
import type { SqlStatement } from './loadSql.js';

/** Statement Execution API (`/api/2.0/sql/statements`) response, the parts we read. */
interface StatementResponse {
  statement_id?: string;
  status?: { state?: string; error?: { error_code?: string; message?: string } };
  manifest?: { schema?: { columns?: { name: string }[] }; total_chunk_count?: number };
  result?: ResultChunk;
}
interface ResultChunk {
  data_array?: (string | null)[][];
  next_chunk_index?: number;
}

export interface StatementResult {
  readonly columns: string[];
  /** Values as the API returns them in JSON_ARRAY format: strings or null. */
  readonly rows: (string | null)[][];
}

export interface StatementClientOptions {
  readonly warehouseId: string;
  /** Server-side blocking wait per call, 0 or 5..50 seconds (default 30). */
  readonly waitTimeoutSeconds?: number;
  /** Give up (and cancel the statement) after this long (default 15 minutes). */
  readonly deadlineMs?: number;
  /** Polling interval: starts here, doubles up to `pollMaxMs` (default 250 ms .. 5 s). */
  readonly pollMinMs?: number;
  readonly pollMaxMs?: number;
  readonly now?: () => number;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'CLOSED']);
/** Failures a retry of the whole load may fix: Delta write conflicts, warehouse restarts. */
const TRANSIENT_FAILURE =
  /CONCURRENT|ConcurrentAppend|ConcurrentDelete|TEMPORARILY_UNAVAILABLE|WAREHOUSE.*(STOPP|START)/i;

/**
 * Runs SQL on a warehouse: blocks up to `wait_timeout`, then polls with backoff; cancels the statement when the
 * deadline passes or the caller aborts; FAILED statements become a {@link DatabricksError} naming the error code
 * and message. Parameters are sent as named parameters, never spliced into the SQL.
 *
 * @example
 * const sql = new StatementClient(http, { warehouseId });
 * const { rows } = await sql.execute({ sql: 'SELECT :x', parameters: [{ name: 'x', value: '1' }] });
 */
export class StatementClient {
  constructor(
    private readonly http: DatabricksHttp,
    private readonly options: StatementClientOptions,
  ) {}

  async execute(statement: SqlStatement, signal?: AbortSignal): Promise<StatementResult> {
    const now = this.options.now ?? Date.now;
    const deadline = now() + (this.options.deadlineMs ?? 15 * 60_000);
    const wait = this.options.waitTimeoutSeconds ?? 30;
    let response = await this.http.request<StatementResponse>(
      'POST',
      '/api/2.0/sql/statements',
      {
        statement: statement.sql,
        warehouse_id: this.options.warehouseId,
        // An omitted value means NULL (Statement Execution API); values always travel as strings.
        parameters: statement.parameters.map((p) => ({
          name: p.name,
          ...(p.value === null ? {} : { value: p.value }),
          ...(p.type ? { type: p.type } : {}),
        })),
        wait_timeout: `${wait}s`,
        on_wait_timeout: 'CONTINUE',
        disposition: 'INLINE',
        format: 'JSON_ARRAY',
      },
      { signal },
    );
    const id = response.statement_id;
    let pollMs = this.options.pollMinMs ?? 250;
    while (!TERMINAL.has(response.status?.state ?? '')) {
      if (!id)
        throw new DatabricksError('Databricks returned a running statement without an id', {
          terminal: false,
        });
      if (signal?.aborted || now() >= deadline) {
        await this.cancel(id);
        throw new TransientError(
          signal?.aborted
            ? `statement ${id} canceled: the caller stopped`
            : `statement ${id} did not finish within ${Math.round((this.options.deadlineMs ?? 900_000) / 1000)} s: canceled`,
        );
      }
      await this.http.sleep(Math.min(pollMs, Math.max(0, deadline - now())), signal).catch(() => undefined);
      pollMs = Math.min(pollMs * 2, this.options.pollMaxMs ?? 5_000);
      if (signal?.aborted) continue;
      response = await this.http.request<StatementResponse>(
        'GET',
        `/api/2.0/sql/statements/${encodeURIComponent(id)}`,
      );
    }
    return this.#finish(id ?? '?', response, statement);
  }

  /** Best effort: a cancel that fails must not hide the original problem. */
  async cancel(statementId: string): Promise<void> {
    await this.http
      .request('POST', `/api/2.0/sql/statements/${encodeURIComponent(statementId)}/cancel`)
      .catch(() => undefined);
  }

  async #finish(id: string, response: StatementResponse, statement: SqlStatement): Promise<StatementResult> {
    const state = response.status?.state;
    if (state !== 'SUCCEEDED') {
      const code = response.status?.error?.error_code ?? state ?? 'UNKNOWN';
      const message = response.status?.error?.message ?? `statement ended ${state}`;
      const firstLine = statement.sql.split('\n')[0]?.slice(0, 80) ?? '';
      throw new DatabricksError(
        `SQL statement ${state} (${code}): ${message} [statement ${id}: ${firstLine}...]`,
        {
          errorCode: code,
          terminal: state === 'FAILED' && !TRANSIENT_FAILURE.test(`${code} ${message}`),
        },
      );
    }
    const columns = (response.manifest?.schema?.columns ?? []).map((c) => c.name);
    const rows = [...(response.result?.data_array ?? [])];
    let next = response.result?.next_chunk_index;
    while (next !== undefined && next !== null) {
      const chunk = await this.http.request<ResultChunk>(
        'GET',
        `/api/2.0/sql/statements/${encodeURIComponent(id)}/result/chunks/${next}`,
      );
      rows.push(...(chunk.data_array ?? []));
      next = chunk.next_chunk_index;
    }
    return { columns, rows };
  }
}
