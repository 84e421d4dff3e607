import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksError } from '../../src/adapters/databricks/DatabricksError.js';
import { DatabricksHttp } from '../../src/adapters/databricks/DatabricksHttp.js';
import { StatementClient } from '../../src/adapters/databricks/StatementClient.js';
import { acquireSparkEngine, type SparkEngine } from '../support/sparkEngine.js';

type Engine = Pick<SparkEngine, 'host' | 'token' | 'warehouseId'>;
let engine: Engine;
let release: () => Promise<void>;
let sql: StatementClient;
const SCHEMA = '`main`.`engine_statements`';

/** The raw API, for what StatementClient hides (statement ids, chunk manifests, cancel). */
async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${engine.host}${path}`, {
    method,
    headers: { Authorization: `Bearer ${engine.token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  ({ engine, release } = await acquireSparkEngine(inject('sparkEngine')));
  const http = new DatabricksHttp({ host: engine.host, credentials: { kind: 'pat', token: engine.token } });
  sql = new StatementClient(http, { warehouseId: engine.warehouseId, pollMinMs: 20, pollMaxMs: 200 });
  await sql.execute({ sql: `CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`, parameters: [] });
});
afterAll(async () => {
  await sql?.execute({ sql: `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, parameters: [] });
  await release?.();
});

// Generous: Delta MERGE on a local JVM takes seconds, more on a shared 2-core machine.
describe('Spark engine: Statement Execution API through the real StatementClient', {
  timeout: 300_000,
}, () => {
  it('answers a round trip with named, typed parameters', async () => {
    // Prepare
    const statement = {
      sql: 'SELECT :s AS s, typeof(:n) AS n_type, :n * 2 AS n2, :t AS t, :missing IS NULL AS missing_is_null',
      parameters: [
        { name: 's', value: "it's" },
        { name: 'n', value: '9007199254740993', type: 'BIGINT' as const },
        { name: 't', value: '2024-03-01T12:30:00Z', type: 'TIMESTAMP' as const },
        { name: 'missing', value: null },
      ],
    };

    // Act
    const result = await sql.execute(statement);

    // Assess
    expect(result.columns).toEqual(['s', 'n_type', 'n2', 't', 'missing_is_null']);
    expect(result.rows).toEqual([["it's", 'bigint', '18014398509481986', '2024-03-01T12:30:00Z', 'true']]);
  });

  it('reports a FAILED statement with its error class', async () => {
    // Act
    const error = await sql
      .execute({ sql: `SELECT * FROM ${SCHEMA}.\`no_such_table\``, parameters: [] })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DatabricksError);
    expect((error as DatabricksError).details).toMatchObject({ errorCode: 'BAD_REQUEST', terminal: true });
    expect((error as Error).message).toContain('[TABLE_OR_VIEW_NOT_FOUND]');
  });

  it('cancels a running statement', async () => {
    // Prepare: a statement that sleeps inside a Spark task until interrupted
    const submitted = await api('POST', '/api/2.0/sql/statements', {
      warehouse_id: engine.warehouseId,
      statement: "SELECT reflect('java.lang.Thread', 'sleep', id + 600000L) FROM range(1)",
      wait_timeout: '0s',
    });
    const id = String(submitted.statement_id);

    // Act
    await api('POST', `/api/2.0/sql/statements/${id}/cancel`);
    const after = await api('GET', `/api/2.0/sql/statements/${id}`);

    // Assess
    expect((submitted.status as { state: string }).state).toMatch(/PENDING|RUNNING/);
    expect(after.status).toEqual({ state: 'CANCELED' });
  });

  it('returns a large result in several chunks', async () => {
    // Prepare: about 3 MB of rows, above the 1 MiB chunk size
    const statement = {
      sql: "SELECT id, repeat('x', 1000) AS pad FROM range(0, 3000) ORDER BY id",
      parameters: [],
    };

    // Act
    const raw = await api('POST', '/api/2.0/sql/statements', {
      warehouse_id: engine.warehouseId,
      statement: statement.sql,
      wait_timeout: '50s',
    });
    const result = await sql.execute(statement);

    // Assess
    expect((raw.manifest as { total_chunk_count: number }).total_chunk_count).toBeGreaterThan(1);
    expect(result.rows).toHaveLength(3000);
    expect(result.rows.map((r) => Number(r[0]))).toEqual([...Array(3000).keys()]);
  });

  it('MERGE INTO a Delta table inserts and updates', async () => {
    // Prepare
    const table = `${SCHEMA}.\`merged\``;
    await sql.execute({
      sql: `CREATE TABLE ${table} (\`event_id\` STRING NOT NULL, \`seq\` BIGINT, \`v\` STRING) USING DELTA
TBLPROPERTIES ('delta.columnMapping.mode' = 'name', 'delta.enableDeletionVectors' = 'true')`,
      parameters: [],
    });
    await sql.execute({
      sql: `INSERT INTO ${table} VALUES ('a', 1, 'old'), ('b', 1, 'keep')`,
      parameters: [],
    });

    // Act
    const merge = await sql.execute({
      sql: `MERGE INTO ${table} AS t
USING (SELECT * FROM VALUES ('a', 2, 'new'), ('c', 1, 'added') AS s(event_id, seq, v)) AS s
ON t.\`event_id\` = s.\`event_id\`
WHEN MATCHED AND s.\`seq\` > t.\`seq\` THEN UPDATE SET \`seq\` = s.\`seq\`, \`v\` = s.\`v\`
WHEN NOT MATCHED THEN INSERT (\`event_id\`, \`seq\`, \`v\`) VALUES (s.\`event_id\`, s.\`seq\`, s.\`v\`)`,
      parameters: [],
    });
    const rows = await sql.execute({ sql: `SELECT * FROM ${table} ORDER BY event_id`, parameters: [] });
    const provider = await sql.execute({ sql: `DESCRIBE DETAIL ${table}`, parameters: [] });

    // Assess
    expect(merge.columns).toContain('num_inserted_rows');
    expect(rows.rows).toEqual([
      ['a', '2', 'new'],
      ['b', '1', 'keep'],
      ['c', '1', 'added'],
    ]);
    expect(provider.rows[0]?.[provider.columns.indexOf('format')]).toBe('delta');
  });

  it('refuses a request without the token', async () => {
    // Act
    const res = await fetch(`${engine.host}/api/2.0/sql/statements`, { method: 'POST', body: '{}' });

    // Assess
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
  });
});
