import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';
import { DatabricksFake } from '../support/databricksFake.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let fake: DatabricksFake | undefined;
let fake2: DatabricksFake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

function envFor(f: DatabricksFake, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    TELEMETRY_DATABRICKS_HOST: f.host,
    TELEMETRY_DATABRICKS_WAREHOUSE_ID: f.warehouseId,
    DATABRICKS_TOKEN: f.token,
    TELEMETRY_BUCKET: 'telemetry-bucket',
    ...extra,
  };
}

describe('telemetry deploy databricks', () => {
  it('--dry-run prints the plan and contacts nothing', async () => {
    const r = await cli(['deploy', 'databricks', '--dry-run'], {
      TELEMETRY_DATABRICKS_HOST: 'http://127.0.0.1:9',
      TELEMETRY_DATABRICKS_WAREHOUSE_ID: 'wh-1',
      TELEMETRY_BUCKET: 'telemetry-bucket',
    });
    expect(r.stderr).toContain('warning: the job will run as you');
    expect(r.stderr).toContain('warning: nobody hears about failed load runs');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CREATE TABLE IF NOT EXISTS `main`.`telemetry`.`car_telemetry_flattened`');
    expect(r.stdout).toContain("read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')");
    expect(r.stdout).toContain('"max_concurrent_runs": 1');
    expect(r.stdout).toContain('"name": "manifest_path"');
    expect(r.stdout).not.toContain('quartz_cron_expression');
  });

  it('--dry-run needs no settings: placeholders in the plan, and a list of what to set (variable, example, doc)', async () => {
    // Prepare: nothing configured, no ~/.databrickscfg
    const env = { DATABRICKS_CONFIG_FILE: `${tmp.path}/no-databrickscfg` };
    // Act
    const r = await cli(['deploy', 'databricks', '--dry-run'], env);
    const json = await cli(['deploy', 'databricks', '--dry-run', '--json'], env);
    const real = await cli(['deploy', 'databricks'], env);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Against <DATABRICKS_HOST> this would');
    expect(r.stdout).toContain('run on warehouse <DATABRICKS_WAREHOUSE_ID>');
    expect(r.stdout).toContain(
      'DATABRICKS_HOST: not set: export DATABRICKS_HOST=https://dbc-1234abcd-5678.cloud.databricks.com',
    );
    expect(r.stdout).toContain('docs/databricks.md#4-point-the-command-line-at-the-workspace');
    expect(r.stdout).not.toContain('DATABRICKS_CLIENT_ID');
    const plan = JSON.parse(json.stdout);
    expect(plan).toMatchObject({ dryRun: true, host: '<DATABRICKS_HOST>' });
    expect(plan.notConfigured.map((m: { variable: string }) => m.variable)).toEqual([
      'DATABRICKS_HOST',
      'DATABRICKS_WAREHOUSE_ID',
    ]);
    expect(plan.statements.length).toBeGreaterThan(0);
    expect(real.code).toBe(2);
    expect(real.stderr).toContain('not configured yet');
    expect(real.stderr).toMatch(/DATABRICKS_CLIENT_ID: no credentials .*docs\/databricks\.md#1-/);
  });

  it('the job runs as a service principal and tells someone about failed runs', async () => {
    // Prepare
    fake = await new DatabricksFake().start();
    const env = envFor(fake, {
      TELEMETRY_DATABRICKS_RUN_AS: '6b0c6bd2-1f6d-4c1e-9e55-1c2b3d4e5f60',
      TELEMETRY_DATABRICKS_NOTIFY_EMAILS: 'oncall@example.com, data@example.com',
      TELEMETRY_DATABRICKS_NOTIFY_DESTINATION_ID: 'dest-1',
      TELEMETRY_DATABRICKS_TRIGGER_PRINCIPAL: '9f1e2d3c-0000-4000-8000-00000000aaaa',
    });
    // Act
    const r = await cli(['deploy', 'databricks'], env);
    // Assess
    expect(r.stderr).toBe('');
    const settings = [...fake.jobs.values()][0]?.settings as Record<string, unknown>;
    expect(settings).toMatchObject({
      run_as: { service_principal_name: '6b0c6bd2-1f6d-4c1e-9e55-1c2b3d4e5f60' },
      email_notifications: { on_failure: ['oncall@example.com', 'data@example.com'] },
      webhook_notifications: { on_failure: [{ id: 'dest-1' }] },
    });
    expect(settings.schedule).toBeUndefined();
    // The trigger Lambda's principal may start runs, nothing more.
    const job = [...fake.jobs.values()][0]?.job_id as number;
    expect(Object.fromEntries(fake.jobPermissions.get(job) ?? [])).toEqual({
      '9f1e2d3c-0000-4000-8000-00000000aaaa': 'CAN_MANAGE_RUN',
    });
  });

  it('creates the table and the job, and updates the same job on the next deploy', async () => {
    fake = await new DatabricksFake().start();
    const first = await cli(['deploy', 'databricks'], envFor(fake));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created job 'telemetry-load' \(job_id \d+\)/);
    const second = await cli(['deploy', 'databricks'], envFor(fake));
    expect(second.stdout).toMatch(/updated job 'telemetry-load'/);
    expect(fake.jobs.size).toBe(1);
    const settings = [...fake.jobs.values()][0]?.settings as Record<string, unknown>;
    expect(settings.schedule).toBeUndefined();
    expect(settings.queue).toEqual({ enabled: true });
    expect([...fake.workspaceFiles.keys()]).toEqual([
      '/Workspace/Shared/chargeminder-telemetry/telemetry-load.sql',
    ]);
    const tables = await fake.connection.runAndReadAll(
      "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'uc_main' ORDER BY 1",
    );
    expect(tables.getRows().map((r) => r[0])).toEqual([
      '_telemetry_deleted_events',
      '_telemetry_load_ledger',
      '_telemetry_load_log',
      'car_telemetry_flattened',
    ]);
  });

  it('rejects wrong usage', async () => {
    expect((await cli(['deploy', 'snowflake'], {})).code).toBe(2);
    expect((await cli(['deploy', 'databricks', '--trigger', 'schedule'], {})).code).toBe(2);
  });
});

describe('telemetry doctor databricks', () => {
  it('says the workspace is ready when everything checks out', async () => {
    fake = await new DatabricksFake().start();
    await cli(['deploy', 'databricks'], envFor(fake));
    const r = await cli(['doctor', 'databricks'], envFor(fake));
    expect(r.stdout).toContain('ok    authentication: signed in as');
    expect(r.stdout).toContain('The workspace is ready.');
    expect(r.code).toBe(0);
    const json = await cli(['doctor', 'databricks', '--json'], envFor(fake));
    const report = JSON.parse(json.stdout) as { ready: boolean; checks: { name: string; status: string }[] };
    expect(report.ready).toBe(true);
    expect(report.checks.length).toBeGreaterThan(3);
    expect(report.checks.every((c) => c.status !== 'fail')).toBe(true);
  });

  it('fails a warehouse whose runtime is older than the SQL the load sends needs', async () => {
    fake = await new DatabricksFake({ runtimeVersion: '14.3' }).start();
    const r = await cli(['doctor', 'databricks'], envFor(fake));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL {2}runtime: Databricks Runtime 14\.3: the load uses MERGE WITH SCHEMA EVOLUTION \(15\.2 or newer\)/,
    );
    const ok = await cli(
      ['doctor', 'databricks'],
      envFor(await new DatabricksFake().start().then((f) => (fake2 = f))),
    );
    expect(ok.stdout).toMatch(/ok {4}runtime: Databricks Runtime 16\.4/);
    await fake2?.stop();
  });

  it('says which grant is missing when the principal may read the table but not modify it', async () => {
    // Prepare: a deployed table; the warehouse refuses writes to it
    fake = await new DatabricksFake().start();
    await cli(['deploy', 'databricks'], envFor(fake));
    fake.failing.push({
      pattern: /^DELETE FROM/,
      error_code: 'PERMISSION_DENIED',
      message: 'User does not have MODIFY on Table main.telemetry.car_telemetry_flattened.',
    });
    // Act
    const r = await cli(['doctor', 'databricks', '--json'], envFor(fake));
    // Assess
    const report = JSON.parse(r.stdout) as {
      ready: boolean;
      checks: { name: string; status: string; fix?: string }[];
    };
    expect(r.code).toBe(1);
    expect(report.checks.find((c) => c.name === 'table grants')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('MODIFY ON SCHEMA main.telemetry'),
    });
    expect(report.checks.find((c) => c.name === 'staged files readable')?.status).toBe('warn');
  });

  it('names a rejected token and a stopped warehouse in plain words', async () => {
    fake = await new DatabricksFake({ warehouseState: 'STOPPED' }).start();
    const bad = await cli(['doctor', 'databricks'], envFor(fake, { DATABRICKS_TOKEN: 'dapi-wrong' }));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL {2}authentication: personal access token rejected/);
    expect(bad.stdout).toContain('fix: create a new token');
    expect(bad.stdout).not.toContain('dapi-wrong');
    const stopped = await cli(['doctor', 'databricks'], envFor(fake));
    expect(stopped.stdout).toMatch(/warn {2}SQL warehouse: .* is STOPPED/);
    expect(stopped.stdout).toMatch(/warn {2}table: .* does not exist yet/);
  });

  it('offline, lists every missing setting with the variable, an example value and the doc section', async () => {
    // Prepare
    const env = { DATABRICKS_CONFIG_FILE: `${tmp.path}/no-databrickscfg`, DATABRICKS_HOST: 'dbc-no-scheme' };
    // Act
    const r = await cli(['doctor', 'databricks'], env);
    const json = await cli(['doctor', 'databricks', '--json'], env);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Not configured yet (nothing was contacted)');
    expect(r.stdout).toMatch(/FAIL {2}setting DATABRICKS_HOST: not a URL: 'dbc-no-scheme'/);
    expect(r.stdout).toMatch(/FAIL {2}setting DATABRICKS_WAREHOUSE_ID: not set/);
    expect(r.stdout).toContain('fix: export DATABRICKS_WAREHOUSE_ID=1234567890abcdef');
    expect(r.stdout).toMatch(/FAIL {2}setting DATABRICKS_CLIENT_ID: no credentials/);
    expect(r.stdout).toContain('docs/databricks.md#4-point-the-command-line-at-the-workspace');
    expect(r.stdout).toContain('3 check(s) failed');
    expect(JSON.parse(json.stdout)).toMatchObject({ ready: false, checks: [{ status: 'fail' }, {}, {}] });
  });

  it('reports an unreachable host', async () => {
    const r = await cli(['doctor', 'databricks'], {
      TELEMETRY_DATABRICKS_HOST: 'http://127.0.0.1:9',
      TELEMETRY_DATABRICKS_WAREHOUSE_ID: 'wh',
      DATABRICKS_TOKEN: 'x',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}host reachable: cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});

describe('telemetry run --sink databricks', () => {
  it('stops before doing any work when it cannot work: settings missing, or a real workspace without a bucket', async () => {
    // Prepare
    const data = `${tmp.path}/dbx-refused`;
    const args = ['run', '--sink', 'databricks', '--events', '20', '--data-dir', data];
    const noFile = { DATABRICKS_CONFIG_FILE: `${tmp.path}/no-databrickscfg` };
    const workspace = {
      ...noFile,
      DATABRICKS_HOST: 'https://dbc-1234abcd-5678.cloud.databricks.com',
      DATABRICKS_WAREHOUSE_ID: 'wh-1',
      DATABRICKS_TOKEN: 'dapi-never-sent',
    };
    // Act
    const unset = await cli(args, noFile);
    const noBucket = await cli(args, workspace);
    // Assess
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('--sink databricks cannot work yet (nothing was done)');
    expect(unset.stderr).toMatch(/DATABRICKS_HOST: not set: export DATABRICKS_HOST=https:\/\/dbc-/);
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(
      /TELEMETRY_BUCKET: not set: the workspace at https:\/\/dbc-1234abcd-5678\.cloud\.databricks\.com cannot read Parquet staged in the local data folder/,
    );
    expect(noBucket.stderr).not.toContain('dapi-never-sent');
    expect(existsSync(`${data}/raw`)).toBe(false);
  });
});

// Loading with `telemetry run --sink databricks` runs on the local Spark + Delta engine: test/cli/runDatabricks.spark.test.ts.
