// Only the SDK's config/auth module: the package index loads every API client (about 1.9 s vs 0.8 s here, which
// matters on Lambda cold starts). The version is pinned exactly in package.json, so the deep path is stable.
import { Config } from '@databricks/sdk-experimental/dist/config/Config.js';
import { TransientError } from '../../core/errors.js';
import { DatabricksError, explainStatus, isRetryableStatus } from './DatabricksError.js';
import type { DatabricksCredentials } from './databricksCredentials.js';

export interface DatabricksHttpOptions {
  /** Workspace URL, e.g. `https://dbc-1234.cloud.databricks.com` (loopback `http://` for the fake). */
  readonly host: string;
  readonly credentials: DatabricksCredentials;
  /** Attempts per request on 429/502/503/504 and network errors (default 8). */
  readonly maxAttempts?: number;
  /** Backoff when no Retry-After is given: base * 2^attempt with full jitter, capped (default 500 ms, 20 s). */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Injected for tests: resolves after `ms` (honouring the signal). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Per-request timeout (default 60 s; statement calls block at most `wait_timeout` on the server). */
  readonly requestTimeoutMs?: number;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After is seconds or an HTTP date; undefined when absent or unparsable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The REST transport to one workspace. Authentication comes from the Databricks SDK's `Config` (PAT, or OAuth M2M:
 * OIDC discovery, client-credentials token exchange and refresh), built with TLS verification on (`skipVerify:
 * false`) and without reading `~/.databrickscfg` or `DATABRICKS_*` variables behind our back. Requests go through
 * Node's fetch (TLS verified) so that 429/503 are retried here, honouring Retry-After: the SDK's own client retries
 * on a fixed schedule for minutes and drops the header.
 *
 * @example
 * const http = new DatabricksHttp({ host, credentials: { kind: 'pat', token } });
 * const me = await http.request('GET', '/api/2.0/preview/scim/v2/Me');
 */
export class DatabricksHttp {
  readonly host: string;
  readonly #config: Config;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: DatabricksHttpOptions) {
    this.host = options.host.replace(/\/+$/, '');
    const c = options.credentials;
    this.#config = new Config({
      host: this.host,
      ...(c.kind === 'pat'
        ? { authType: 'pat', token: c.token }
        : { authType: 'oauth-m2m', clientId: c.clientId, clientSecret: c.clientSecret }),
      skipVerify: false,
      env: {},
      loaders: [],
    });
    this.#sleep = options.sleep ?? abortableSleep;
  }

  /** Sleeps through the injected sleeper (so tests can observe waits instead of waiting). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#sleep(ms, signal);
  }

  async #authHeaders(): Promise<Headers> {
    const headers = new Headers({
      'Content-Type': 'application/json',
      'User-Agent': 'chargeminder-telemetry/0.1',
    });
    try {
      const sdkHeaders = new Headers();
      await this.#config.authenticate(sdkHeaders);
      sdkHeaders.forEach((value, key) => {
        headers.set(key, value);
      });
    } catch (error) {
      // The SDK's message names the auth type and the failing step, never the secret.
      const message = error instanceof Error ? error.message : String(error);
      throw new DatabricksError(`Databricks authentication failed: ${message}`, {
        terminal: !authFailureIsTransient(message),
      });
    }
    return headers;
  }

  /** One JSON call with retries; `body` is sent as JSON, `query` as URL parameters. */
  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    options: { query?: Record<string, string | number | undefined>; signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await this.#send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      undefined,
      options,
    );
    const text = await response.text();
    try {
      return (text.length === 0 ? {} : JSON.parse(text)) as T;
    } catch {
      throw new DatabricksError(
        `Databricks ${method} ${path}: the answer is not JSON (a proxy or a wrong TELEMETRY_DATABRICKS_HOST?)`,
        { status: response.status, terminal: true },
      );
    }
  }

  /**
   * One call whose body is raw bytes either way (the Files API), with the same retries and errors as `request`;
   * `path` is sent as given (percent-encode it). Answers the response (headers, unread body) when it is 2xx.
   */
  async requestBytes(
    method: 'GET' | 'HEAD' | 'PUT' | 'DELETE',
    path: string,
    body?: Uint8Array,
    options: { query?: Record<string, string | number | undefined>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    return this.#send(method, path, body, 'application/octet-stream', options);
  }

  async #send(
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    contentType: string | undefined,
    options: { query?: Record<string, string | number | undefined>; signal?: AbortSignal },
  ): Promise<Response> {
    const url = new URL(this.host + path);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 0; ; attempt++) {
      let headers: Headers;
      try {
        headers = await this.#authHeaders();
      } catch (error) {
        // An identity provider outage (503, network) is retried like any call; a refused secret is not.
        if (!(error instanceof DatabricksError) || error.terminal) throw error;
        if (attempt + 1 >= maxAttempts) {
          throw new TransientError(`${error.message} (after ${attempt + 1} attempts)`, error);
        }
        await this.#sleep(this.#backoff(attempt), options.signal);
        continue;
      }
      if (contentType) headers.set('Content-Type', contentType);
      const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 60_000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (attempt + 1 >= maxAttempts) {
          throw new TransientError(
            `Databricks ${method} ${path}: network error after ${attempt + 1} attempts`,
            error,
          );
        }
        await this.#sleep(this.#backoff(attempt), options.signal);
        continue;
      }
      if (response.ok) return response;
      const text = await response.text();
      if (isRetryableStatus(response.status) && attempt + 1 < maxAttempts) {
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? this.#backoff(attempt);
        await this.#sleep(wait, options.signal);
        continue;
      }
      throw this.#error(method, path, response.status, text);
    }
  }

  #backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 500;
    const cap = this.options.backoffCapMs ?? 20_000;
    return Math.round(Math.random() * Math.min(cap, base * 2 ** attempt));
  }

  #error(method: string, path: string, status: number, text: string): DatabricksError {
    let errorCode: string | undefined;
    let message = '';
    try {
      const json = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (typeof json.error_code === 'string') errorCode = json.error_code;
      if (typeof json.message === 'string') message = json.message;
    } catch {
      message = text.slice(0, 300);
    }
    const detail = [errorCode, message].filter(Boolean).join(': ');
    return new DatabricksError(
      `Databricks ${method} ${path} failed: ${explainStatus(status)}${detail ? ` (${detail})` : ''}`,
      { status, errorCode, terminal: !isRetryableStatus(status) && status !== 500 },
    );
  }
}

/**
 * Whether a failed token exchange may work when tried again: the OAuth error codes for a server fault
 * (RFC 6749 5.2 / 4.1.2.1: `server_error`, `temporarily_unavailable`, which the SDK's message carries instead of
 * the HTTP status) or a network failure. `invalid_client`, `invalid_grant`, `unauthorized_client`, ... are final.
 */
export function authFailureIsTransient(message: string): boolean {
  return /temporarily_unavailable|server_error|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|socket hang up|fetch failed|timed? ?out|\b(?:429|50[0-4])\b/i.test(
    message,
  );
}
