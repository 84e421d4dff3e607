import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksHttp } from '../../src/adapters/databricks/DatabricksHttp.js';
import { parseTableName } from '../../src/adapters/databricks/databricksSql.js';
import { databricksTableStatus } from '../../src/adapters/databricks/databricksTableStatus.js';
import { StatementClient } from '../../src/adapters/databricks/StatementClient.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { readRowsById } from '../support/databricksHarness.js';
import { acquireSparkEngine } from '../support/sparkEngine.js';

// README, "Databricks without a workspace": `telemetry run --sink databricks` against the local Spark + Delta engine
// gives the same table as `telemetry run` into DuckDB on the same input.
const tmp = tempDir();
let engine: { host: string; token: string; warehouseId: string };
let release: () => Promise<void>;
let sql: StatementClient;
const schema = `run_cli_${process.pid}`;

beforeAll(async () => {
  ({ engine, release } = await acquireSparkEngine(inject('sparkEngine')));
  const http = new DatabricksHttp({ host: engine.host, credentials: { kind: 'pat', token: engine.token } });
  sql = new StatementClient(http, { warehouseId: engine.warehouseId, pollMinMs: 20, pollMaxMs: 200 });
}, 300_000);
afterAll(async () => {
  await sql?.execute({ sql: `DROP SCHEMA IF EXISTS \`main\`.\`${schema}\` CASCADE`, parameters: [] });
  await release?.();
  tmp.cleanup();
});

/** A value as both engines print it, compared as what it means (numbers by value, instants in UTC). */
function canonical(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  if (/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.test(s)) {
    const iso = s.replace(' ', 'T');
    return new Date(/Z|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`).toISOString();
  }
  if (s !== '' && !Number.isNaN(Number(s)) && /^-?[\d.]+(e[-+]?\d+)?$/i.test(s)) return String(Number(s));
  return s;
}

describe('telemetry run --sink databricks (local Spark + Delta engine)', () => {
  it('loads the sample events, and the Delta table holds the same rows as the DuckDB run on the same input', async () => {
    // Prepare
    const args = ['run', '--events', '300', '--json'];
    const env = {
      DATABRICKS_HOST: engine.host,
      DATABRICKS_TOKEN: engine.token,
      DATABRICKS_WAREHOUSE_ID: engine.warehouseId,
      TELEMETRY_TABLE: `main.${schema}.car_telemetry_flattened`,
    };
    // Act
    const delta = await cli([...args, '--sink', 'databricks', '--data-dir', `${tmp.path}/dbx`], env);
    const duck = await cli([...args, '--data-dir', `${tmp.path}/duck`], {});
    // Assess
    expect(delta.code, delta.stderr).toBe(0);
    expect(duck.code, duck.stderr).toBe(0);
    const counts = (out: string) => {
      const s = (JSON.parse(out) as { process: Record<string, number> }).process;
      return { records: s.records, inserted: s.inserted, updated: s.updated, quarantined: s.quarantined };
    };
    expect(counts(delta.stdout)).toEqual(counts(duck.stdout));
    expect(counts(duck.stdout).records).toBe(300);
    const expected = await tableContent(`${tmp.path}/duck/warehouse.duckdb`);
    const columns = Object.keys(expected[0] ?? {}).filter((c) => c !== 'event_id');
    expect(expected.length).toBeGreaterThan(250);
    expect(columns.length).toBeGreaterThan(200);
    const actual = await readRowsById(sql, `\`main\`.\`${schema}\`.\`car_telemetry_flattened\``, columns);
    expect(Object.keys(actual).sort()).toEqual(expected.map((r) => String(r.event_id)).sort());
    const differences: string[] = [];
    for (const row of expected) {
      const got = actual[String(row.event_id)] ?? {};
      for (const c of columns) {
        if (canonical(row[c]) !== canonical(got[c]))
          differences.push(`${row.event_id}.${c}: ${row[c]} vs ${got[c]}`);
      }
    }
    expect(differences.slice(0, 10)).toEqual([]);
  }, 600_000);

  it('the status of the Delta table (read through the warehouse) says what the DuckDB table status says', async () => {
    // Prepare: the two tables the test above loaded from the same input
    const now = Date.now();
    // Act
    const duck = JSON.parse(
      (await cli(['status', '--data-dir', `${tmp.path}/duck`, '--json'], {})).stdout,
    ).table;
    const delta = await databricksTableStatus(
      sql,
      parseTableName(`main.${schema}.car_telemetry_flattened`),
      now,
    );
    // Assess
    expect(delta.rows).toBe(duck.rows);
    expect(delta.loadedObjects).toBe(duck.loadedObjects);
    expect(Math.floor((delta.newestRecordedAt ?? 0) / 1000)).toBe(
      Math.floor(Date.parse(duck.newestRecordedAt) / 1000),
    );
    expect(delta.eventsPerMake24h).toEqual(duck.eventsPerMake24h ?? {});
  }, 300_000);
});
