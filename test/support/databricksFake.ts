import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { runSqlFile, type SqlWarehouse, splitSqlFile } from './sqlFileTask.js';

/**
 * A Databricks workspace on loopback that follows the documented REST contracts closely enough to catch client
 * mistakes, not only the happy path:
 *
 * - OAuth M2M: `GET /oidc/.well-known/oauth-authorization-server`, `POST /oidc/v1/token` (client_credentials,
 *   HTTP Basic client auth, `scope=all-apis`); PATs; every API call needs `Authorization: Bearer`.
 * - SQL Statement Execution 2.0: `POST /api/2.0/sql/statements` (wait_timeout `0s` or `5s`..`50s`, on_wait_timeout
 *   CONTINUE/CANCEL, named parameters), `GET .../{id}`, `POST .../{id}/cancel`, `GET .../{id}/result/chunks/{n}`;
 *   states PENDING -> RUNNING -> SUCCEEDED / FAILED / CANCELED. SQL runs on DuckDB after a small translation of the
 *   Databricks dialect our generator emits (backtick identifiers, `:name` parameters, `read_files`, Delta clauses).
 *   Time is compressed: a statement marked slow stays RUNNING for N polls instead of N seconds.
 * - Jobs 2.2 (and 2.1): create, reset, get, list (name filter, paging), run-now (idempotency_token: same token ->
 *   same run, at most 64 characters; `job_parameters` over the job's parameter defaults), runs/get (PENDING ->
 *   RUNNING -> TERMINATED on later polls). With `sqlWarehouse`, a job whose task is a SQL file really runs it there
 *   (test/support/sqlFileTask.ts), one run at a time in the order started (queueing, `max_concurrent_runs: 1`), and
 *   runs/get reports its real state: TERMINATED SUCCESS or FAILED with the statement's error as `state_message`.
 *   runs/list (`job_id`, `completed_only`/`active_only` not both, `limit` 1..25, most recently ended first, paged
 *   by `page_token`); `endRun` ends a run with any outcome (FAILED, TIMEDOUT, INTERNAL_ERROR, ...).
 * - Warehouses get, SCIM Me, workspace mkdirs/import/get-status.
 * - Files API 2.0 on Unity Catalog volumes (see {@link serveFilesApi}): files kept in `volumesRoot`.
 * - Fault injection: the next N requests to a path answer 429 (with Retry-After) or 503.
 */
export interface DatabricksFakeOptions {
  readonly token?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly warehouseId?: string;
  readonly warehouseState?: string;
  /** Unity Catalog catalogs -> DuckDB database names (`main` is reserved in DuckDB). */
  readonly catalogs?: Record<string, string>;
  /** Rows per result chunk (to exercise chunked results). */
  readonly chunkRows?: number;
  /** The OAuth token endpoint answers 503 (an identity provider outage) this many times before it works. */
  readonly tokenOutages?: number;
  /** `current_version().dbr_version` of the warehouse (default 16.4). */
  readonly runtimeVersion?: string;
  /** Where SQL file tasks run (e.g. the local Spark engine); absent: runs only pretend. */
  readonly sqlWarehouse?: SqlWarehouse;
  /** Files API: the folder holding `/Volumes/...` (default: a temp folder made by `start`, removed by `stop`). */
  readonly volumesRoot?: string;
  /** Files API: entries per directory listing page (the API's default and maximum is 1000). */
  readonly directoryPageSize?: number;
}

interface Statement {
  id: string;
  state: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  sql: string;
  pollsLeft: number;
  columns: string[];
  rows: (string | null)[][];
  error?: { error_code: string; message: string };
  run: () => Promise<void>;
}

interface Job {
  job_id: number;
  created_time: number;
  settings: Record<string, unknown>;
}

interface Run {
  run_id: number;
  job_id: number;
  polls: number;
  idempotency_token?: string;
  job_parameters?: unknown;
  /** Set when the run really executes (sqlWarehouse), or by {@link DatabricksFake.endRun}: life cycle and outcome. */
  real?: {
    life: 'PENDING' | 'RUNNING' | 'TERMINATED' | 'INTERNAL_ERROR';
    result?: 'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED';
    message: string;
    /** Epoch ms when the run ended. */
    endTime?: number;
  };
}

export interface Fault {
  readonly path: RegExp;
  readonly status: 429 | 503 | 500;
  readonly retryAfter?: string;
  count: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization?: string;
}

export class DatabricksFake {
  readonly requests: RecordedRequest[] = [];
  readonly statements = new Map<string, Statement>();
  readonly jobs = new Map<number, Job>();
  readonly runs = new Map<number, Run>();
  readonly workspaceFiles = new Map<string, string>();
  /** Job permissions granted through the Permissions API: job id -> principal -> permission level. */
  readonly jobPermissions = new Map<number, Map<string, string>>();
  readonly issuedTokens = new Set<string>();
  readonly faults: Fault[] = [];
  /** SQL texts matching these run slowly (RUNNING for `polls` GETs), or fail. */
  readonly slow: { pattern: RegExp; polls: number }[] = [];
  readonly failing: { pattern: RegExp; error_code: string; message: string }[] = [];
  warehouseState: string;
  #nextId = 1000;
  #server?: Server;
  #duck?: { instance: DuckDBInstance; connection: DuckDBConnection };
  #queue: Promise<unknown> = Promise.resolve();
  #runQueue: Promise<unknown> = Promise.resolve();

  /** Ends a run the way Databricks reports it: `INTERNAL_ERROR` is a life cycle state, the rest result states. */
  endRun(
    runId: number,
    outcome: 'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED' | 'INTERNAL_ERROR',
    message = '',
    endTime = Date.now(),
  ): void {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    run.real =
      outcome === 'INTERNAL_ERROR'
        ? { life: 'INTERNAL_ERROR', result: 'FAILED', message, endTime }
        : { life: 'TERMINATED', result: outcome, message, endTime };
  }

  constructor(readonly options: DatabricksFakeOptions = {}) {
    this.warehouseState = options.warehouseState ?? 'RUNNING';
  }

  get token(): string {
    return this.options.token ?? 'dapi-fake-token';
  }
  get warehouseId(): string {
    return this.options.warehouseId ?? 'wh-fake';
  }
  get catalogs(): Record<string, string> {
    return this.options.catalogs ?? { main: 'uc_main' };
  }
  get host(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('fake not started');
    return `http://127.0.0.1:${address.port}`;
  }
  /** The DuckDB connection behind the warehouse (tests read tables back through SQL or here). */
  get connection(): DuckDBConnection {
    if (!this.#duck) throw new Error('fake not started');
    return this.#duck.connection;
  }

  #volumesRoot?: string;
  /** The folder the Files API keeps `/Volumes/<catalog>/<schema>/<volume>/...` in (as `<catalog>/<schema>/...`). */
  get volumesRoot(): string {
    if (!this.#volumesRoot) throw new Error('fake not started');
    return this.#volumesRoot;
  }

  async start(): Promise<this> {
    this.#volumesRoot = this.options.volumesRoot ?? (await mkdtemp(join(tmpdir(), 'dbx-volumes-')));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    for (const db of Object.values(this.catalogs)) await connection.run(`ATTACH ':memory:' AS "${db}"`);
    this.#duck = { instance, connection };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        send(res, 500, { error_code: 'INTERNAL_ERROR', message: String(error) });
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
    this.#duck?.connection.closeSync();
    this.#duck?.instance.closeSync();
    if (this.#volumesRoot && !this.options.volumesRoot)
      await rm(this.#volumesRoot, { recursive: true, force: true });
  }

  /** The next `count` requests whose path matches answer `status` (429 carries Retry-After). */
  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Requests to a path (regex), for assertions. */
  calls(path: RegExp, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => path.test(r.path) && (!method || r.method === method));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/api/2.0/fs/')) return this.#filesApi(req, url, res);
    const raw = await readBody(req);
    const isForm = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
    let body: unknown;
    try {
      body =
        raw.length === 0
          ? undefined
          : isForm
            ? Object.fromEntries(new URLSearchParams(raw))
            : JSON.parse(raw);
    } catch {
      return send(res, 400, { error_code: 'MALFORMED_REQUEST', message: 'body is not JSON' });
    }
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      body,
      authorization: req.headers.authorization,
    });
    const fault = this.faults.find((f) => f.count > 0 && f.path.test(url.pathname));
    if (fault) {
      fault.count -= 1;
      if (fault.retryAfter !== undefined) res.setHeader('Retry-After', fault.retryAfter);
      const code = fault.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : 'TEMPORARILY_UNAVAILABLE';
      return send(res, fault.status, { error_code: code, message: `injected ${fault.status}` });
    }
    const method = req.method ?? 'GET';
    const path = url.pathname;

    if (method === 'GET' && path === '/oidc/.well-known/oauth-authorization-server') {
      return send(res, 200, {
        issuer: `${this.host}/oidc`,
        authorization_endpoint: `${this.host}/oidc/v1/authorize`,
        token_endpoint: `${this.host}/oidc/v1/token`,
      });
    }
    if (method === 'POST' && path === '/oidc/v1/token') return this.#token(req, body, res);

    const auth = req.headers.authorization ?? '';
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!bearer || (bearer !== this.token && !this.issuedTokens.has(bearer))) {
      return send(res, 401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
    }
    const b = (body ?? {}) as Record<string, unknown>;
    const q = url.searchParams;

    if (path === '/api/2.0/preview/scim/v2/Me' && method === 'GET') {
      return send(res, 200, { id: '1', userName: this.options.clientId ?? 'fake-user@example.com' });
    }
    let m = /^\/api\/2\.0\/sql\/warehouses\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      if (m[1] !== this.warehouseId) {
        return send(res, 404, {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: `warehouse ${m[1]} does not exist`,
        });
      }
      return send(res, 200, { id: this.warehouseId, name: 'fake warehouse', state: this.warehouseState });
    }
    if (path === '/api/2.0/sql/statements' && method === 'POST') return this.#execute(b, res);
    m = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/cancel|\/result\/chunks\/(\d+))?$/.exec(path);
    if (m) {
      const st = this.statements.get(m[1] ?? '');
      if (!st) return send(res, 404, { error_code: 'NOT_FOUND', message: `statement ${m[1]} not found` });
      if (m[2] === '/cancel' && method === 'POST') {
        if (st.state === 'PENDING' || st.state === 'RUNNING') st.state = 'CANCELED';
        return send(res, 200, {});
      }
      if (m[3] !== undefined && method === 'GET') return send(res, 200, this.#chunk(st, Number(m[3])));
      if (method === 'GET') {
        await this.#advance(st);
        return send(res, 200, this.#statementJson(st));
      }
    }
    m = /^\/api\/2\.[12]\/jobs\/(create|reset|get|list|run-now|runs\/get|runs\/list|delete)$/.exec(path);
    if (m) return this.#jobs(m[1] ?? '', method, b, q, res);
    m = /^\/api\/2\.0\/permissions\/jobs\/(\d+)$/.exec(path);
    if (m && method === 'PATCH') {
      // Permissions API: PATCH adds or updates the given entries and keeps the others.
      const jobId = Number(m[1]);
      if (!this.jobs.has(jobId))
        return send(res, 404, {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: `Job ${jobId} does not exist.`,
        });
      const levels = new Set(['CAN_VIEW', 'CAN_MANAGE_RUN', 'IS_OWNER', 'CAN_MANAGE']);
      const acl = (b.access_control_list ?? []) as Record<string, string>[];
      const grants = this.jobPermissions.get(jobId) ?? new Map<string, string>();
      for (const entry of acl) {
        const who = entry.service_principal_name ?? entry.user_name ?? entry.group_name;
        if (!who || !levels.has(entry.permission_level ?? ''))
          return send(res, 400, {
            error_code: 'INVALID_PARAMETER_VALUE',
            message: 'bad access_control_list entry',
          });
        grants.set(who, entry.permission_level as string);
      }
      this.jobPermissions.set(jobId, grants);
      return send(res, 200, { object_id: `/jobs/${jobId}`, object_type: 'job' });
    }
    if (path === '/api/2.0/workspace/mkdirs' && method === 'POST') return send(res, 200, {});
    if (path === '/api/2.0/workspace/import' && method === 'POST') {
      const p = String(b.path ?? '');
      if (!p.startsWith('/'))
        return send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'path must be absolute' });
      if (this.workspaceFiles.has(p) && b.overwrite !== true) {
        return send(res, 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: `${p} already exists` });
      }
      this.workspaceFiles.set(p, Buffer.from(String(b.content ?? ''), 'base64').toString('utf8'));
      return send(res, 200, {});
    }
    if (path === '/api/2.0/workspace/get-status' && method === 'GET') {
      const p = q.get('path') ?? '';
      if (!this.workspaceFiles.has(p))
        return send(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `${p} does not exist` });
      return send(res, 200, { path: p, object_type: 'FILE' });
    }
    return send(res, 404, {
      error_code: 'ENDPOINT_NOT_FOUND',
      message: `no such endpoint ${method} ${path}`,
    });
  }

  // --- Files API (bodies are raw bytes, not JSON) ---------------------------------------------------------------
  async #filesApi(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const body = await readBytes(req);
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      body: body.length,
      authorization: req.headers.authorization,
    });
    const fault = this.faults.find((f) => f.count > 0 && f.path.test(url.pathname));
    if (fault) {
      fault.count -= 1;
      if (fault.retryAfter !== undefined) res.setHeader('Retry-After', fault.retryAfter);
      return send(res, fault.status, {
        error_code: 'TEMPORARILY_UNAVAILABLE',
        message: `injected ${fault.status}`,
      });
    }
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (!bearer || (bearer !== this.token && !this.issuedTokens.has(bearer)))
      return send(res, 401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
    return serveFilesApi(
      this.volumesRoot,
      req.method ?? 'GET',
      url,
      body,
      res,
      this.options.directoryPageSize,
    );
  }

  #tokenOutages = 0;

  #token(req: IncomingMessage, body: unknown, res: ServerResponse) {
    if (this.#tokenOutages < (this.options.tokenOutages ?? 0)) {
      this.#tokenOutages += 1;
      return sendRaw(res, 503, { error: 'temporarily_unavailable', error_description: 'try again later' });
    }
    const form = (body ?? {}) as Record<string, string>;
    const basic = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8')
      : undefined;
    const [id, secret] = basic
      ? [basic.slice(0, basic.indexOf(':')), basic.slice(basic.indexOf(':') + 1)]
      : [form.client_id, form.client_secret];
    if (form.grant_type !== 'client_credentials') {
      return sendRaw(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'grant_type must be client_credentials',
      });
    }
    if (!this.options.clientId || id !== this.options.clientId || secret !== this.options.clientSecret) {
      return sendRaw(res, 401, {
        error: 'invalid_client',
        error_description: 'Client authentication failed',
      });
    }
    const token = `oauth-${randomUUID()}`;
    this.issuedTokens.add(token);
    sendRaw(res, 200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: form.scope ?? 'all-apis',
    });
  }

  #execute(b: Record<string, unknown>, res: ServerResponse): Promise<void> | void {
    if (typeof b.statement !== 'string' || b.statement.trim() === '') {
      return send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'statement is required' });
    }
    if (b.warehouse_id !== this.warehouseId) {
      return send(res, 400, {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `warehouse ${String(b.warehouse_id)} not found`,
      });
    }
    const wait = String(b.wait_timeout ?? '10s');
    const waitMatch = /^(\d+)s$/.exec(wait);
    const seconds = waitMatch ? Number(waitMatch[1]) : Number.NaN;
    if (!(seconds === 0 || (seconds >= 5 && seconds <= 50))) {
      return send(res, 400, {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'wait_timeout must be 0s or between 5s and 50s',
      });
    }
    const onTimeout = String(b.on_wait_timeout ?? 'CONTINUE');
    if (onTimeout !== 'CONTINUE' && onTimeout !== 'CANCEL') {
      return send(res, 400, {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'on_wait_timeout must be CONTINUE or CANCEL',
      });
    }
    const params = Array.isArray(b.parameters) ? (b.parameters as { name?: unknown; value?: unknown }[]) : [];
    const values: Record<string, DuckDBValue> = {};
    for (const p of params) {
      if (typeof p.name !== 'string')
        return send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'parameter without a name' });
      values[p.name] =
        p.value === null || p.value === undefined ? null : this.#paramValue(p.name, String(p.value));
    }
    const sql = b.statement;
    const st: Statement = {
      id: `01f0-${randomUUID()}`,
      state: 'PENDING',
      sql,
      pollsLeft: this.slow.find((s) => s.pattern.test(sql))?.polls ?? 0,
      columns: [],
      rows: [],
      run: async () => {
        const failure = this.failing.find((f) => f.pattern.test(sql));
        if (failure) {
          st.state = 'FAILED';
          st.error = { error_code: failure.error_code, message: failure.message };
          return;
        }
        try {
          const result = await this.#runSql(sql, values);
          st.columns = result.columns;
          st.rows = result.rows;
          st.state = 'SUCCEEDED';
        } catch (error) {
          st.state = 'FAILED';
          st.error = {
            error_code: 'BAD_REQUEST',
            message: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
          };
        }
      },
    };
    this.statements.set(st.id, st);
    return (async () => {
      if (seconds > 0) await this.#advance(st);
      if (st.state === 'RUNNING' && seconds > 0 && onTimeout === 'CANCEL') st.state = 'CANCELED';
      send(res, 200, this.#statementJson(st));
    })();
  }

  /** One step of a statement's life: slow ones stay RUNNING for their polls, then run. */
  async #advance(st: Statement): Promise<void> {
    if (st.state !== 'PENDING' && st.state !== 'RUNNING') return;
    if (st.pollsLeft > 0) {
      st.pollsLeft -= 1;
      st.state = 'RUNNING';
      return;
    }
    await st.run();
  }

  #paramValue(name: string, value: string): string {
    if (name === 'catalog' && this.catalogs[value]) return this.catalogs[value] as string;
    if (value.startsWith('file://'))
      return fileURLToPath(value.replaceAll('*', '%2A')).replaceAll('%2A', '*');
    return value;
  }

  #statementJson(st: Statement): Record<string, unknown> {
    const out: Record<string, unknown> = { statement_id: st.id, status: { state: st.state } };
    if (st.state === 'FAILED') out.status = { state: st.state, error: st.error };
    if (st.state === 'SUCCEEDED') {
      const chunkRows = this.options.chunkRows ?? 1000;
      const chunks = Math.max(1, Math.ceil(st.rows.length / chunkRows));
      out.manifest = {
        format: 'JSON_ARRAY',
        schema: {
          column_count: st.columns.length,
          columns: st.columns.map((name, position) => ({ name, position })),
        },
        total_row_count: st.rows.length,
        total_chunk_count: chunks,
        truncated: false,
      };
      out.result = this.#chunk(st, 0);
    }
    return out;
  }

  #chunk(st: Statement, index: number): Record<string, unknown> {
    const chunkRows = this.options.chunkRows ?? 1000;
    const rows = st.rows.slice(index * chunkRows, (index + 1) * chunkRows);
    const more = (index + 1) * chunkRows < st.rows.length;
    return {
      chunk_index: index,
      row_offset: index * chunkRows,
      row_count: rows.length,
      ...(rows.length > 0 ? { data_array: rows } : {}),
      ...(more
        ? {
            next_chunk_index: index + 1,
            next_chunk_internal_link: `/api/2.0/sql/statements/${st.id}/result/chunks/${index + 1}`,
          }
        : {}),
    };
  }

  /** Statements run one at a time (a warehouse serialises conflicting writes; DuckDB one connection). */
  #runSql(
    sql: string,
    values: Record<string, DuckDBValue>,
  ): Promise<{ columns: string[]; rows: (string | null)[][] }> {
    const next = this.#queue.then(async () => {
      const out = { columns: [] as string[], rows: [] as (string | null)[][] };
      // current_version() (Databricks SQL): the warehouse's runtime, as configured.
      const versioned = sql.replaceAll(
        'current_version().dbr_version',
        `'${this.options.runtimeVersion ?? '16.4'}'`,
      );
      for (const part of translateDatabricksSql(versioned, this.catalogs)) {
        const used = Object.fromEntries(Object.entries(values).filter(([k]) => part.includes(`$${k}`)));
        const reader = await this.connection.runAndReadAll(part, used);
        out.columns = reader.columnNames();
        out.rows = reader.getRowsJson().map((r) => r.map(jsonArrayValue));
      }
      return out;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** With a SQL warehouse: queue the job's SQL file task with the run's parameters (defaults, then job_parameters). */
  #startRun(job: Job, run: Run): void {
    const warehouse = this.options.sqlWarehouse;
    const tasks = job.settings.tasks as { sql_task?: { file?: { path?: string } } }[] | undefined;
    const path = tasks?.[0]?.sql_task?.file?.path;
    if (!warehouse || !path) return;
    const defaults = (job.settings.parameters ?? []) as { name: string; default: string }[];
    const parameters: Record<string, string> = {
      ...Object.fromEntries(defaults.map((p) => [p.name, p.default])),
      ...((run.job_parameters ?? {}) as Record<string, string>),
    };
    const real: NonNullable<Run['real']> = { life: 'PENDING', message: '' };
    run.real = real;
    const next = this.#runQueue.then(async () => {
      real.life = 'RUNNING';
      try {
        const text = this.workspaceFiles.get(path);
        if (text === undefined) throw new Error(`${path} does not exist`);
        await runSqlFile(warehouse, splitSqlFile(text), parameters);
        real.result = 'SUCCESS';
      } catch (error) {
        real.result = 'FAILED';
        real.message = error instanceof Error ? error.message : String(error);
      }
      real.life = 'TERMINATED';
      real.endTime = Date.now();
    });
    this.#runQueue = next;
  }

  #jobs(op: string, method: string, b: Record<string, unknown>, q: URLSearchParams, res: ServerResponse) {
    const badJob = () =>
      send(res, 400, {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `Job ${String(b.job_id ?? q.get('job_id'))} does not exist.`,
      });
    if (op === 'create' && method === 'POST') {
      if (typeof b.name !== 'string')
        return send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'name is required' });
      const job: Job = { job_id: this.#nextId++, created_time: Date.now(), settings: { ...b } };
      this.jobs.set(job.job_id, job);
      return send(res, 200, { job_id: job.job_id });
    }
    if (op === 'reset' && method === 'POST') {
      const job = this.jobs.get(Number(b.job_id));
      if (!job) return badJob();
      if (!b.new_settings || typeof b.new_settings !== 'object')
        return send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'new_settings is required' });
      job.settings = { ...(b.new_settings as Record<string, unknown>) };
      return send(res, 200, {});
    }
    if (op === 'get' && method === 'GET') {
      const job = this.jobs.get(Number(q.get('job_id')));
      return job ? send(res, 200, job) : badJob();
    }
    if (op === 'delete' && method === 'POST') {
      this.jobs.delete(Number(b.job_id));
      return send(res, 200, {});
    }
    if (op === 'list' && method === 'GET') {
      const name = q.get('name');
      const limit = Math.min(Number(q.get('limit') ?? 20), 100);
      const offset = Number(q.get('page_token') ?? 0);
      const all = [...this.jobs.values()].filter((j) => !name || j.settings.name === name);
      const page = all.slice(offset, offset + limit);
      const more = offset + limit < all.length;
      return send(res, 200, {
        ...(page.length > 0 ? { jobs: page } : {}),
        has_more: more,
        ...(more ? { next_page_token: String(offset + limit) } : {}),
      });
    }
    if (op === 'run-now' && method === 'POST') {
      const job = this.jobs.get(Number(b.job_id));
      if (!job) return badJob();
      const token = b.idempotency_token;
      if (token !== undefined && (typeof token !== 'string' || token.length > 64)) {
        return send(res, 400, {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'idempotency_token must be at most 64 characters',
        });
      }
      const existing = token ? [...this.runs.values()].find((r) => r.idempotency_token === token) : undefined;
      if (existing) return send(res, 200, { run_id: existing.run_id, number_in_job: existing.run_id });
      const run: Run = {
        run_id: this.#nextId++,
        job_id: job.job_id,
        polls: 0,
        idempotency_token: token as string | undefined,
        job_parameters: b.job_parameters,
      };
      this.runs.set(run.run_id, run);
      this.#startRun(job, run);
      return send(res, 200, { run_id: run.run_id, number_in_job: run.run_id });
    }
    if (op === 'runs/get' && method === 'GET') {
      const run = this.runs.get(Number(q.get('run_id')));
      if (!run)
        return send(res, 400, {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: `Run ${q.get('run_id')} does not exist.`,
        });
      run.polls += 1;
      const life =
        run.real?.life ?? (run.polls === 1 ? 'PENDING' : run.polls === 2 ? 'RUNNING' : 'TERMINATED');
      const result = run.real?.result ?? 'SUCCESS';
      return send(res, 200, {
        run_id: run.run_id,
        job_id: run.job_id,
        state: {
          life_cycle_state: life,
          ...(life === 'TERMINATED' ? { result_state: result } : {}),
          state_message: run.real?.message ?? '',
        },
        status: {
          state: life,
          ...(life === 'TERMINATED' ? { termination_details: { code: 'SUCCESS', type: 'SUCCESS' } } : {}),
        },
      });
    }
    if (op === 'runs/list' && method === 'GET') return this.#listRuns(q, res);
    send(res, 405, { error_code: 'BAD_REQUEST', message: `${method} not allowed` });
  }

  /** Jobs 2.2 `runs/list`: runs in descending order by end time (start time while running). */
  #listRuns(q: URLSearchParams, res: ServerResponse) {
    const invalid = (message: string) => send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message });
    const activeOnly = q.get('active_only') === 'true';
    const completedOnly = q.get('completed_only') === 'true';
    if (activeOnly && completedOnly) return invalid('active_only and completed_only cannot both be true');
    const limit = Number(q.get('limit') ?? 20) || 25; // 0 means the maximum
    if (!Number.isInteger(limit) || limit < 1 || limit > 25) return invalid('limit must be between 1 and 25');
    const jobId = q.get('job_id');
    const ended = (r: Run) => r.real?.endTime !== undefined;
    const runs = [...this.runs.values()]
      .filter((r) => jobId === null || r.job_id === Number(jobId))
      .filter((r) => (completedOnly ? ended(r) : activeOnly ? !ended(r) : true))
      .sort(
        (a, b) => (b.real?.endTime ?? Number.MAX_SAFE_INTEGER) - (a.real?.endTime ?? Number.MAX_SAFE_INTEGER),
      );
    const offset = Number(q.get('page_token') ?? 0);
    const page = runs.slice(offset, offset + limit);
    const more = offset + limit < runs.length;
    return send(res, 200, {
      ...(page.length > 0
        ? {
            runs: page.map((r) => {
              const life = r.real?.life ?? 'PENDING';
              const done = life === 'TERMINATED' || life === 'INTERNAL_ERROR';
              return {
                run_id: r.run_id,
                job_id: r.job_id,
                ...(r.real?.endTime !== undefined ? { end_time: r.real.endTime } : {}),
                state: {
                  life_cycle_state: life,
                  ...(done && r.real?.result ? { result_state: r.real.result } : {}),
                  state_message: r.real?.message ?? '',
                },
              };
            }),
          }
        : {}),
      has_more: more,
      ...(more ? { next_page_token: String(offset + limit) } : {}),
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The Files API 2.0 on Unity Catalog volumes (https://docs.databricks.com/api/workspace/files), authentication
 * already checked: `PUT /api/2.0/fs/files{path}?overwrite=` (raw bytes; parent folders made; `overwrite=false` and an
 * existing file: 409), `GET`/`HEAD` (bytes; Content-Length, Last-Modified), `DELETE` (404 when missing), and
 * `GET /api/2.0/fs/directories{path}` (`contents` of {path, name, is_directory, file_size, last_modified} in no
 * particular order, `next_page_token` while more; 404 when missing). `/Volumes/<c>/<s>/<v>/x` is
 * `<root>/<c>/<s>/<v>/x`, and the volume folder must exist (as CREATE VOLUME makes it). Uploads are atomic.
 */
export async function serveFilesApi(
  root: string,
  method: string,
  url: URL,
  body: Buffer,
  res: ServerResponse,
  pageSize = 1000,
): Promise<void> {
  const m = /^\/api\/2\.0\/fs\/(files|directories)(\/.*)$/.exec(url.pathname);
  const segments = (m?.[2] ?? '').split('/').slice(1).map(decodeURIComponent);
  const notFound = (what: string) =>
    send(res, 404, { error_code: 'NOT_FOUND', message: `${what} not found` });
  if (!m || segments[0] !== 'Volumes' || segments.length < 4 || segments.some((s) => s === '..' || s === '.'))
    return send(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: `not a volume path: ${m?.[2]}` });
  const volumePath = `/${segments.join('/')}`;
  const volume = join(root, ...segments.slice(1, 4));
  const local = join(root, ...segments.slice(1));
  if (!(await stat(volume).catch(() => undefined))?.isDirectory())
    return notFound(`volume ${segments.slice(1, 4).join('.')}`);
  const info = await stat(local).catch(() => undefined);
  if (m[1] === 'directories' && method === 'GET') {
    if (!info?.isDirectory()) return notFound(`directory ${volumePath}`);
    const names = await readdir(local);
    const start = Number(url.searchParams.get('page_token') ?? 0);
    const size = Math.min(Number(url.searchParams.get('page_size') ?? pageSize), pageSize, 1000);
    const contents = [];
    for (const name of names.slice(start, start + size)) {
      const s = await stat(join(local, name));
      contents.push({
        path: `${volumePath}/${name}`,
        name,
        is_directory: s.isDirectory(),
        ...(s.isDirectory() ? {} : { file_size: s.size, last_modified: Math.floor(s.mtimeMs) }),
      });
    }
    const next = start + size < names.length ? { next_page_token: String(start + size) } : {};
    return send(res, 200, { contents, ...next });
  }
  if (m[1] !== 'files' || segments.length < 5)
    return send(res, 405, {
      error_code: 'BAD_REQUEST',
      message: `${method} ${url.pathname} not served here`,
    });
  if (method === 'PUT') {
    if (info?.isDirectory())
      return send(res, 409, { error_code: 'ALREADY_EXISTS', message: `${volumePath} is a directory` });
    if (info && url.searchParams.get('overwrite') === 'false')
      return send(res, 409, { error_code: 'ALREADY_EXISTS', message: `${volumePath} already exists` });
    const parent = join(local, '..');
    await mkdir(parent, { recursive: true });
    const partial = join(root, `.upload-${randomUUID()}`);
    await writeFile(partial, body);
    await rename(partial, local);
    res.writeHead(204).end();
    return;
  }
  if (!info?.isFile()) {
    if (method === 'HEAD') return void res.writeHead(404).end();
    return notFound(`file ${volumePath}`);
  }
  if (method === 'DELETE') {
    await rm(local);
    res.writeHead(204).end();
    return;
  }
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': info.size,
    'Last-Modified': info.mtime.toUTCString(),
  };
  if (method === 'HEAD') return void res.writeHead(200, headers).end();
  if (method === 'GET') return void res.writeHead(200, headers).end(await readFile(local));
  send(res, 405, { error_code: 'BAD_REQUEST', message: `${method} not allowed` });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, body);
}

function sendRaw(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** JSON_ARRAY format: every value is a string (or null); timestamps ISO-8601 UTC. */
function jsonArrayValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(v))
    return `${v.replace(' ', 'T')}Z`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

type Token = { kind: 'ident' | 'string' | 'param' | 'other'; text: string };

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let other = '';
  const flush = () => {
    if (other) out.push({ kind: 'other', text: other });
    other = '';
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === '`') {
      flush();
      let name = '';
      i++;
      while (i < sql.length) {
        if (sql[i] === '`' && sql[i + 1] === '`') {
          name += '`';
          i += 2;
        } else if (sql[i] === '`') {
          i++;
          break;
        } else name += sql[i++];
      }
      out.push({ kind: 'ident', text: name });
    } else if (c === "'") {
      flush();
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      out.push({ kind: 'string', text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (c === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '') && sql[i - 1] !== ':') {
      flush();
      let j = i + 1;
      while (j < sql.length && /\w/.test(sql[j] as string)) j++;
      out.push({ kind: 'param', text: sql.slice(i + 1, j) });
      i = j;
    } else {
      other += c;
      i++;
    }
  }
  flush();
  return out;
}

/**
 * The Databricks SQL our generator emits -> DuckDB statements (one Databricks statement may become several,
 * e.g. ADD COLUMNS). Not a general translator: unknown constructs are left as they are and fail loudly.
 */
export function translateDatabricksSql(sql: string, catalogs: Record<string, string>): string[] {
  // The explicit schema is what the Parquet files hold already; DuckDB reads them by name.
  const tokens = tokenize(
    sql.replace(
      /read_files\((:\w+), format => 'parquet', schema => '(?:[^'\\]|\\.)*', schemaEvolutionMode => 'none'\)/g,
      "read_files($1, format => 'parquet')",
    ),
  );
  const parts: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const next = tokens[i + 1];
    if (t.kind === 'ident') {
      const isCatalog =
        catalogs[t.text] !== undefined &&
        next?.kind === 'other' &&
        next.text === '.' &&
        tokens[i + 2]?.kind === 'ident';
      const name = isCatalog ? (catalogs[t.text] as string) : t.text;
      parts.push(`"${name.replaceAll('"', '""')}"`);
    } else if (t.kind === 'param') parts.push(`$${t.text}`);
    else parts.push(t.text);
  }
  let duck = parts.join('');
  duck = duck
    .replace(/read_files\((\$\w+), format => 'parquet'\)/g, 'read_parquet($1)')
    .replace(/system\.information_schema\./g, 'information_schema.')
    .replace(/\nUSING DELTA\nCLUSTER BY \([^)]*\)\nTBLPROPERTIES \([^)]*\)/, '')
    .replace(/ USING DELTA$/, '');
  const add = /^ALTER TABLE (.+?) ADD COLUMNS \((.*)\)$/s.exec(duck);
  if (add) {
    const columns = splitTopLevel(add[2] ?? '');
    return columns.map((c) => `ALTER TABLE ${add[1]} ADD COLUMN ${c.trim()}`);
  }
  return [duck];
}

function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of list) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      out.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current);
  return out;
}
