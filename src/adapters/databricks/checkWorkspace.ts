import { errorMessage } from '../../core/errors.js';
import { DatabricksError } from './DatabricksError.js';
import { DatabricksHttp } from './DatabricksHttp.js';
import { DatabricksJobs } from './DatabricksJobs.js';
import type { DatabricksCredentials } from './databricksCredentials.js';
import { qualifiedTable, TABLE_FILTER, type TableName, tableParameters } from './databricksSql.js';
import { StatementClient } from './StatementClient.js';

export interface Check {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  /** What to do about it, in plain words. */
  readonly fix?: string;
}

export interface WorkspaceToCheck {
  readonly host: string;
  readonly warehouseId: string;
  readonly target: TableName;
  readonly jobName: string;
  /** Where the process stage stages batches (`s3://bucket/staged/`), when known: the warehouse must read it. */
  readonly stagedUrl?: string;
  readonly credentials: () => Promise<DatabricksCredentials>;
  /** Injected in tests (no real waits). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The checks behind `telemetry doctor databricks`, in order, stopping at the first one later checks depend on:
 * host reachable, credentials accepted, warehouse present and running, SQL runs, the runtime is new enough for the
 * load's SQL, catalog/schema visible, the table's grants (probes that change nothing), the staged folder readable
 * through an external location, table, load job deployed. Read-only: nothing is created.
 *
 * @example
 * for (const c of await checkWorkspace({ host, warehouseId, target, jobName, credentials })) console.log(c);
 */
/** The oldest Databricks Runtime with every construct the load sends (`MERGE WITH SCHEMA EVOLUTION`: 15.2). */
export const MIN_RUNTIME: readonly [number, number] = [15, 2];

/** The warehouse's runtime (`current_version().dbr_version`) against {@link MIN_RUNTIME}. */
async function runtimeCheck(sql: StatementClient): Promise<Check> {
  const name = 'runtime';
  const need = MIN_RUNTIME.join('.');
  try {
    const version = String(
      (await sql.execute({ sql: 'SELECT current_version().dbr_version', parameters: [] })).rows[0]?.[0] ?? '',
    );
    const [major = 0, minor = 0] = version.split('.').map((p) => Number.parseInt(p, 10));
    const [wantMajor, wantMinor] = MIN_RUNTIME;
    const enough = major > wantMajor || (major === wantMajor && minor >= wantMinor);
    return enough
      ? { name, status: 'ok', detail: `Databricks Runtime ${version} (the load needs ${need} or newer)` }
      : {
          name,
          status: 'fail',
          detail: `Databricks Runtime ${version || 'unknown'}: the load uses MERGE WITH SCHEMA EVOLUTION (${need} or newer)`,
          fix: "set the SQL warehouse's channel to Current (Edit > Advanced options > Channel)",
        };
  } catch (error) {
    return {
      name,
      status: 'warn',
      detail: `could not read the runtime version (${errorMessage(error)}); the load needs ${need} or newer`,
    };
  }
}

const denied = (error: unknown) =>
  /PERMISSION_DENIED|INSUFFICIENT_PERMISSIONS|does not have|403/i.test(errorMessage(error));

/** What the load does to the table, tried so that nothing changes: read it, and delete no row (MODIFY). */
async function grantsCheck(sql: StatementClient, t: TableName): Promise<Check> {
  const name = 'table grants';
  const table = qualifiedTable(t);
  try {
    await sql.execute({ sql: `SELECT count(*) FROM ${table} WHERE 1 = 0`, parameters: [] });
    await sql.execute({ sql: `DELETE FROM ${table} WHERE 1 = 0`, parameters: [] });
    return {
      name,
      status: 'ok',
      detail: `the principal may read and modify ${t.catalog}.${t.schema}.${t.table}`,
    };
  } catch (error) {
    return denied(error)
      ? {
          name,
          status: 'fail',
          detail: errorMessage(error),
          fix: `GRANT USE CATALOG ON CATALOG ${t.catalog} TO <principal>; GRANT USE SCHEMA, CREATE TABLE, SELECT, MODIFY ON SCHEMA ${t.catalog}.${t.schema} TO <principal>`,
        }
      : { name, status: 'warn', detail: `could not check (${errorMessage(error)})` };
  }
}

/** The warehouse lists the staged folder: the external location grants READ FILES (docs/databricks.md step 2). */
async function stagedFilesCheck(sql: StatementClient, url: string): Promise<Check> {
  const name = 'staged files readable';
  try {
    await sql.execute({ sql: `LIST '${url.replaceAll("'", "\\'")}' LIMIT 1`, parameters: [] });
    return { name, status: 'ok', detail: `the warehouse can list ${url}` };
  } catch (error) {
    return denied(error) ||
      /EXTERNAL_LOCATION|UNAUTHORIZED_ACCESS|NO_PARENT_EXTERNAL_LOCATION/i.test(errorMessage(error))
      ? {
          name,
          status: 'fail',
          detail: errorMessage(error),
          fix: `create an external location over ${url} with a storage credential, and GRANT READ FILES ON EXTERNAL LOCATION <name> TO <principal> (docs/databricks.md, step 2)`,
        }
      : { name, status: 'warn', detail: `could not check (${errorMessage(error)})` };
  }
}

export async function checkWorkspace(w: WorkspaceToCheck): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => {
    checks.push(c);
    return c.status !== 'fail';
  };

  try {
    const res = await fetch(w.host, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    add({ name: 'host reachable', status: 'ok', detail: `${w.host} answered (HTTP ${res.status})` });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorMessage(error);
    add({
      name: 'host reachable',
      status: 'fail',
      detail: `cannot reach ${w.host} (${cause})`,
      fix: 'check TELEMETRY_DATABRICKS_HOST (https://<workspace>.cloud.databricks.com), DNS, proxy and firewall',
    });
    return checks;
  }

  let credentials: DatabricksCredentials;
  try {
    credentials = await w.credentials();
  } catch (error) {
    add({ name: 'credentials', status: 'fail', detail: errorMessage(error) });
    return checks;
  }
  const http = new DatabricksHttp({
    host: w.host,
    credentials,
    maxAttempts: 3,
    ...(w.sleep ? { sleep: w.sleep } : {}),
  });
  const kind = credentials.kind === 'pat' ? 'personal access token' : 'OAuth M2M service principal';
  try {
    const me = await http.request<{ userName?: string; displayName?: string }>(
      'GET',
      '/api/2.0/preview/scim/v2/Me',
    );
    add({
      name: 'authentication',
      status: 'ok',
      detail: `signed in as ${me.userName ?? me.displayName ?? '?'} (${kind})`,
    });
  } catch (error) {
    add({
      name: 'authentication',
      status: 'fail',
      detail: `${kind} rejected: ${errorMessage(error)}`,
      fix:
        credentials.kind === 'pat'
          ? 'create a new token (User settings > Developer > Access tokens) or switch to a service principal'
          : 'check the client id/secret of the service principal (Settings > Identity and access > Service principals > Secrets)',
    });
    return checks;
  }

  try {
    const wh = await http.request<{ state?: string; name?: string }>(
      'GET',
      `/api/2.0/sql/warehouses/${encodeURIComponent(w.warehouseId)}`,
    );
    const state = wh.state ?? 'UNKNOWN';
    add(
      state === 'RUNNING'
        ? { name: 'SQL warehouse', status: 'ok', detail: `${wh.name ?? w.warehouseId} is RUNNING` }
        : {
            name: 'SQL warehouse',
            status: 'warn',
            detail: `${wh.name ?? w.warehouseId} is ${state}`,
            fix: 'it starts on the first statement if auto-start is on (serverless: seconds; classic: minutes)',
          },
    );
  } catch (error) {
    add({
      name: 'SQL warehouse',
      status: 'fail',
      detail: errorMessage(error),
      fix:
        error instanceof DatabricksError && error.details.status === 404
          ? 'TELEMETRY_DATABRICKS_WAREHOUSE_ID is wrong: copy the id from SQL Warehouses > (warehouse) > Connection details'
          : 'grant the principal CAN USE on the warehouse',
    });
    return checks;
  }

  const sql = new StatementClient(http, { warehouseId: w.warehouseId, deadlineMs: 5 * 60_000 });
  const t = w.target;
  try {
    await sql.execute({ sql: 'SELECT 1 AS ok', parameters: [] });
    add({ name: 'SQL runs', status: 'ok', detail: 'SELECT 1 succeeded on the warehouse' });
    add(await runtimeCheck(sql));
    const schemas = await sql.execute({
      sql: 'SELECT schema_name FROM system.information_schema.schemata WHERE catalog_name = :catalog AND schema_name = :schema',
      parameters: [
        { name: 'catalog', value: t.catalog },
        { name: 'schema', value: t.schema },
      ],
    });
    add(
      schemas.rows.length > 0
        ? { name: 'catalog and schema', status: 'ok', detail: `${t.catalog}.${t.schema} is visible` }
        : {
            name: 'catalog and schema',
            status: 'warn',
            detail: `${t.catalog}.${t.schema} is missing or not visible to this principal`,
            fix: `'telemetry deploy databricks' creates it; it needs USE CATALOG + CREATE SCHEMA on ${t.catalog} (or an admin: GRANT USE SCHEMA, CREATE TABLE, MODIFY, SELECT ON SCHEMA ${t.catalog}.${t.schema} TO <principal>)`,
          },
    );
    const tables = await sql.execute({
      sql: `SELECT table_name FROM system.information_schema.tables WHERE ${TABLE_FILTER}`,
      parameters: tableParameters(t),
    });
    if (tables.rows.length > 0) add(await grantsCheck(sql, t));
    if (w.stagedUrl) add(await stagedFilesCheck(sql, w.stagedUrl));
    add(
      tables.rows.length > 0
        ? { name: 'table', status: 'ok', detail: `${t.catalog}.${t.schema}.${t.table} exists` }
        : {
            name: 'table',
            status: 'warn',
            detail: `${t.catalog}.${t.schema}.${t.table} does not exist yet`,
            fix: "run 'telemetry deploy databricks' (or let the first direct load create it)",
          },
    );
  } catch (error) {
    add({
      name: 'SQL runs',
      status: 'fail',
      detail: errorMessage(error),
      fix: 'check the warehouse is a Pro or Serverless SQL warehouse and the principal may use the catalog',
    });
    return checks;
  }

  try {
    const jobId = await new DatabricksJobs(http).findByName(w.jobName);
    add(
      jobId === undefined
        ? {
            name: 'load job',
            status: 'warn',
            detail: `no job named '${w.jobName}'`,
            fix: "only needed in job mode: run 'telemetry deploy databricks'",
          }
        : { name: 'load job', status: 'ok', detail: `'${w.jobName}' is deployed (job_id ${jobId})` },
    );
  } catch (error) {
    add({ name: 'load job', status: 'warn', detail: errorMessage(error) });
  }
  return checks;
}
