import { afterEach, describe, expect, it } from 'vitest';
import { DatabricksError } from '../../../src/adapters/databricks/DatabricksError.js';
import { DatabricksHttp, retryAfterMs } from '../../../src/adapters/databricks/DatabricksHttp.js';
import { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';
import { TransientError } from '../../../src/core/errors.js';
import { type DatabricksWorld, databricksWorld } from '../../support/databricksHarness.js';

let world: DatabricksWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('StatementClient against the Databricks fake', () => {
  it('sends values as named parameters and reads JSON_ARRAY results', async () => {
    world = await databricksWorld();
    const result = await world.sql.execute({
      sql: "SELECT :name AS who, 'it''s' AS quoted",
      parameters: [{ name: 'name', value: "x'); DROP TABLE t; --" }],
    });
    expect(result).toEqual({ columns: ['who', 'quoted'], rows: [["x'); DROP TABLE t; --", "it's"]] });
    const body = world.fake.calls(/^\/api\/2\.0\/sql\/statements$/, 'POST')[0]?.body as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({
      warehouse_id: world.fake.warehouseId,
      wait_timeout: '30s',
      on_wait_timeout: 'CONTINUE',
      format: 'JSON_ARRAY',
      disposition: 'INLINE',
      parameters: [{ name: 'name', value: "x'); DROP TABLE t; --" }],
    });
  });

  it('polls a statement that outlives wait_timeout until it succeeds', async () => {
    world = await databricksWorld();
    world.fake.slow.push({ pattern: /slow/, polls: 3 });
    const result = await world.sql.execute({ sql: "SELECT 'slow' AS s", parameters: [] });
    expect(result.rows).toEqual([['slow']]);
    expect(world.fake.calls(/^\/api\/2\.0\/sql\/statements\/[^/]+$/, 'GET')).toHaveLength(3);
  });

  it('cancels the statement when the deadline passes', async () => {
    world = await databricksWorld();
    world.fake.slow.push({ pattern: /slow/, polls: 1000 });
    let clock = 0;
    const sql = new StatementClient(world.http, {
      warehouseId: world.fake.warehouseId,
      deadlineMs: 10_000,
      pollMinMs: 1,
      now: () => {
        clock += 4_000;
        return clock;
      },
    });
    await expect(sql.execute({ sql: "SELECT 'slow'", parameters: [] })).rejects.toBeInstanceOf(
      TransientError,
    );
    expect(world.fake.calls(/\/cancel$/, 'POST')).toHaveLength(1);
    expect([...world.fake.statements.values()][0]?.state).toBe('CANCELED');
  });

  it('turns a FAILED statement into a terminal error naming code and message', async () => {
    world = await databricksWorld();
    world.fake.failing.push({
      pattern: /broken/,
      error_code: 'BAD_REQUEST',
      message: '[UNRESOLVED_COLUMN] column broken cannot be resolved',
    });
    const error = await world.sql.execute({ sql: 'SELECT broken', parameters: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksError);
    expect((error as DatabricksError).terminal).toBe(true);
    expect((error as Error).message).toMatch(/FAILED \(BAD_REQUEST\).*UNRESOLVED_COLUMN/);
  });

  it('treats Delta write conflicts as transient', async () => {
    world = await databricksWorld();
    world.fake.failing.push({
      pattern: /MERGE/,
      error_code: 'BAD_REQUEST',
      message: '[DELTA_CONCURRENT_APPEND] ConcurrentAppendException: files were added',
    });
    const error = await world.sql.execute({ sql: 'MERGE INTO x', parameters: [] }).catch((e: unknown) => e);
    expect((error as DatabricksError).terminal).toBe(false);
  });

  it('fetches every result chunk', async () => {
    world = await databricksWorld({ chunkRows: 2 });
    const result = await world.sql.execute({ sql: 'SELECT * FROM range(5) AS t(i)', parameters: [] });
    expect(result.rows.map((r) => r[0])).toEqual(['0', '1', '2', '3', '4']);
    expect(world.fake.calls(/\/result\/chunks\//)).toHaveLength(2);
  });
});

describe('DatabricksHttp retries', () => {
  it('honours Retry-After on 429 and backs off on 503', async () => {
    world = await databricksWorld();
    world.fake.inject({ path: /^\/api\/2\.0\/sql\/statements$/, status: 429, retryAfter: '7', count: 2 });
    world.fake.inject({ path: /^\/api\/2\.0\/sql\/statements$/, status: 503, count: 1 });
    const result = await world.sql.execute({ sql: 'SELECT 1 AS one', parameters: [] });
    expect(result.rows).toEqual([['1']]);
    expect(world.waits.slice(0, 2)).toEqual([7000, 7000]);
    expect(world.waits).toHaveLength(3);
    expect(world.fake.calls(/^\/api\/2\.0\/sql\/statements$/, 'POST')).toHaveLength(4);
  });

  it('gives up after maxAttempts with a transient error', async () => {
    world = await databricksWorld({}, { maxAttempts: 3 });
    world.fake.inject({ path: /^\/api\/2\.0\/sql\/statements$/, status: 503, count: 10 });
    const error = await world.sql.execute({ sql: 'SELECT 1', parameters: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksError);
    expect((error as DatabricksError).terminal).toBe(false);
    expect(world.fake.calls(/^\/api\/2\.0\/sql\/statements$/, 'POST')).toHaveLength(3);
  });

  it('explains 401 in plain words and does not retry it', async () => {
    world = await databricksWorld();
    const http = new DatabricksHttp({
      host: world.fake.host,
      credentials: { kind: 'pat', token: 'wrong-token' },
    });
    const error = await http.request('GET', '/api/2.0/preview/scim/v2/Me').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/authentication failed: check the token/);
    expect((error as Error).message).not.toContain('wrong-token');
    expect(world.fake.calls(/scim/)).toHaveLength(1);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('OAuth machine-to-machine', () => {
  it('exchanges the service principal secret for a token and uses it', async () => {
    world = await databricksWorld({ clientId: 'sp-id', clientSecret: 'sp-secret' });
    const http = new DatabricksHttp({
      host: world.fake.host,
      credentials: { kind: 'oauth-m2m', clientId: 'sp-id', clientSecret: 'sp-secret' },
    });
    const me = await http.request<{ userName: string }>('GET', '/api/2.0/preview/scim/v2/Me');
    expect(me.userName).toBe('sp-id');
    const tokenCall = world.fake.calls(/^\/oidc\/v1\/token$/, 'POST')[0];
    expect(tokenCall?.body).toMatchObject({ grant_type: 'client_credentials', scope: 'all-apis' });
    expect(tokenCall?.authorization).toBe(`Basic ${Buffer.from('sp-id:sp-secret').toString('base64')}`);
    expect(world.fake.calls(/scim/)[0]?.authorization).toMatch(/^Bearer oauth-/);
  });

  it('retries through an identity provider outage (503 from the token endpoint) instead of failing for good', async () => {
    // Prepare
    world = await databricksWorld({ clientId: 'sp-id', clientSecret: 'sp-secret', tokenOutages: 2 });
    const waits: number[] = [];
    const http = new DatabricksHttp({
      host: world.fake.host,
      credentials: { kind: 'oauth-m2m', clientId: 'sp-id', clientSecret: 'sp-secret' },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Act
    const me = await http.request<{ userName: string }>('GET', '/api/2.0/preview/scim/v2/Me');
    // Assess
    expect(me.userName).toBe('sp-id');
    expect(waits).toHaveLength(2);
  });

  it('calls a token endpoint that stays down transient (Lambda retries), never terminal', async () => {
    // Prepare
    world = await databricksWorld({ clientId: 'sp-id', clientSecret: 'sp-secret', tokenOutages: 99 });
    const http = new DatabricksHttp({
      host: world.fake.host,
      credentials: { kind: 'oauth-m2m', clientId: 'sp-id', clientSecret: 'sp-secret' },
      maxAttempts: 3,
      sleep: async () => {},
    });
    // Act
    const error = await http.request('GET', '/api/2.0/preview/scim/v2/Me').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /authentication failed.*temporarily_unavailable.*after 3 attempts/,
    );
  });

  it('reports a wrong client secret without echoing it', async () => {
    world = await databricksWorld({ clientId: 'sp-id', clientSecret: 'sp-secret' });
    const http = new DatabricksHttp({
      host: world.fake.host,
      credentials: { kind: 'oauth-m2m', clientId: 'sp-id', clientSecret: 'not-the-secret' },
    });
    const error = await http.request('GET', '/api/2.0/preview/scim/v2/Me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabricksError);
    expect((error as DatabricksError).terminal).toBe(true);
    expect((error as Error).message).toMatch(/authentication failed/i);
    expect((error as Error).message).not.toContain('not-the-secret');
  });
});
