import { parseArgs } from 'node:util';
import { DatabricksHttp } from '../adapters/databricks/DatabricksHttp.js';
import { DatabricksJobs } from '../adapters/databricks/DatabricksJobs.js';
import { resolveCredentials } from '../adapters/databricks/databricksCredentials.js';
import { DEFAULT_SQL_FILE_PATH, deployPlan } from '../adapters/databricks/deployPlan.js';
import { StatementClient } from '../adapters/databricks/StatementClient.js';
import { databricksEnv } from '../config/databricksConfig.js';
import { resolveDatabricksEnv } from '../config/databricksProfile.js';
import {
  DATABRICKS_SETUP_DOC,
  formatSetting,
  missingDatabricksSettings,
} from '../config/databricksSettings.js';
import { parseEnv } from '../config/parseEnv.js';
import { ConfigError } from '../core/errors.js';
import { type Command, UsageError } from './CliIO.js';

const HELP = `Usage: telemetry deploy databricks [--dry-run] [--sql-path /Workspace/...] [--profile NAME] [--json]

Creates or updates, idempotently: the schema and Delta table (${'`'}TELEMETRY_TABLE${'`'}), the load ledger and tombstone
tables, the load job's SQL file in the workspace, and the job (${'`'}TELEMETRY_DATABRICKS_JOB_NAME${'`'}, found by name).
Each job run loads one staged batch, named by its job parameters; the trigger Lambda starts one per staged manifest.

  --dry-run        print what would be created; contacts nothing, needs no credentials; what is not configured
                   yet shows as a placeholder (<DATABRICKS_HOST>) and is listed with an example and the doc section
  --json           print the plan (--dry-run) or what was deployed as JSON
  --sql-path       workspace path of the job's SQL file (default ${DEFAULT_SQL_FILE_PATH})
  --profile NAME   ~/.databrickscfg profile (default DATABRICKS_CONFIG_PROFILE, else DEFAULT)

Environment: DATABRICKS_HOST, DATABRICKS_WAREHOUSE_ID (or TELEMETRY_DATABRICKS_*), and credentials
(DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET, or DATABRICKS_TOKEN, or TELEMETRY_DATABRICKS_SECRET_ARN).
The job runs as TELEMETRY_DATABRICKS_RUN_AS (a service principal's application id; default: the deploying
service principal); TELEMETRY_DATABRICKS_TRIGGER_PRINCIPAL (the trigger Lambda's service principal) is granted
CAN_MANAGE_RUN on the job; failed runs go to TELEMETRY_DATABRICKS_NOTIFY_EMAILS (comma-separated) and/or
TELEMETRY_DATABRICKS_NOTIFY_DESTINATION_ID (a workspace notification destination).
See docs/databricks.md.
`;

/** The value of a setting that is not there yet, as the dry run prints it. */
const placeholder = (variable: string) => `<${variable}>`;

/** `telemetry deploy databricks`: the schema, table and `telemetry-load` job, created or updated by name. */
export const deployCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'sql-path': { type: 'string', default: DEFAULT_SQL_FILE_PATH },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals[0] !== 'databricks' || positionals.length !== 1) {
    throw new UsageError("expected 'telemetry deploy databricks'");
  }
  const dryRun = values['dry-run'];
  const resolved = resolveDatabricksEnv(io.env, values.profile);
  const missing = [...missingDatabricksSettings(resolved, { credentials: !dryRun })];
  if (missing.length && !dryRun)
    throw new ConfigError(
      `not configured yet:\n${missing.map((m) => `  ${formatSetting(m)}`).join('\n')}\n` +
        `('telemetry deploy databricks --dry-run' shows the plan without them; ${DATABRICKS_SETUP_DOC})`,
    );
  // A dry run needs nothing: what is missing (or wrong) becomes a placeholder in the plan.
  const env: NodeJS.ProcessEnv = { ...resolved };
  for (const m of missing) {
    env[`TELEMETRY_${m.variable}`] = undefined;
    env[m.variable] = undefined;
  }
  const config = parseEnv(
    databricksEnv.partial({ TELEMETRY_DATABRICKS_HOST: true, TELEMETRY_DATABRICKS_WAREHOUSE_ID: true }),
    env,
    'databricks',
  );
  const host = config.TELEMETRY_DATABRICKS_HOST ?? placeholder('DATABRICKS_HOST');
  const warehouseId = config.TELEMETRY_DATABRICKS_WAREHOUSE_ID ?? placeholder('DATABRICKS_WAREHOUSE_ID');
  const sqlPath = values['sql-path'];
  if (!sqlPath.startsWith('/')) throw new UsageError('--sql-path must be an absolute workspace path');
  // A job without run_as runs as whoever deployed it: default to the deploying service principal.
  const runAs = config.TELEMETRY_DATABRICKS_RUN_AS ?? env.DATABRICKS_CLIENT_ID?.trim();
  const emails = (config.TELEMETRY_DATABRICKS_NOTIFY_EMAILS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const destination = config.TELEMETRY_DATABRICKS_NOTIFY_DESTINATION_ID;
  const plan = deployPlan({
    table: config.TELEMETRY_TABLE,
    warehouseId,
    jobName: config.TELEMETRY_DATABRICKS_JOB_NAME,
    sqlFilePath: sqlPath,
    ...(runAs ? { runAs } : {}),
    notify: { emails, destinationIds: destination ? [destination] : [] },
  });
  const warnings: string[] = [];
  if (!runAs)
    warnings.push(
      'warning: the job will run as you (no TELEMETRY_DATABRICKS_RUN_AS): set it to a service principal',
    );
  if (!config.TELEMETRY_DATABRICKS_TRIGGER_PRINCIPAL)
    warnings.push(
      "warning: job mode's trigger needs CAN_MANAGE_RUN on the job: set TELEMETRY_DATABRICKS_TRIGGER_PRINCIPAL (its application id) and deploy grants it",
    );
  if (emails.length === 0 && !destination)
    warnings.push(
      'warning: nobody hears about failed load runs: set TELEMETRY_DATABRICKS_NOTIFY_EMAILS or _NOTIFY_DESTINATION_ID',
    );
  for (const w of warnings) io.stderr.write(`${w}\n`);
  const out = (s: string) => io.stdout.write(s);

  if (dryRun) {
    if (values.json) {
      const plan_ = {
        dryRun: true,
        host,
        warehouseId,
        notConfigured: missing,
        statements: plan.statements.map((st) => st.sql),
        sqlFile: plan.sqlFile,
        job: plan.jobSettings,
      };
      out(`${JSON.stringify(plan_, null, 2)}\n`);
      return 0;
    }
    out(`Dry run: nothing is contacted. Against ${host} this would:\n\n`);
    out(`1. run on warehouse ${warehouseId} (all idempotent):\n`);
    for (const st of plan.statements) out(`${st.sql.replace(/^/gm, '     ')};\n`);
    out(`\n2. write the workspace file ${plan.sqlFile.path} (${plan.sqlFile.content.length} characters):\n`);
    out(`${plan.sqlFile.content.replace(/^/gm, '     ')}\n`);
    out(
      `3. create the job '${config.TELEMETRY_DATABRICKS_JOB_NAME}', or reset it if a job with that name exists:\n`,
    );
    out(`${JSON.stringify(plan.jobSettings, null, 2).replace(/^/gm, '     ')}\n`);
    if (missing.length) {
      out('\nNot configured yet (shown as <PLACEHOLDER> above; needed for a real deploy):\n');
      for (const m of missing) out(`  ${formatSetting(m)}\n`);
    }
    return 0;
  }

  const credentials = await resolveCredentials(env);
  const http = new DatabricksHttp({ host, credentials });
  const sql = new StatementClient(http, { warehouseId });
  const say = (line: string) => (values.json ? undefined : out(`${line}\n`));
  for (const st of plan.statements) await sql.execute(st, io.signal);
  say(`schema and tables ready: ${config.TELEMETRY_TABLE} (+ load ledger, tombstones)`);
  const jobs = new DatabricksJobs(http);
  await jobs.putWorkspaceFile(plan.sqlFile.path, plan.sqlFile.content);
  say(`wrote ${plan.sqlFile.path}`);
  const { jobId, action } = await jobs.deploy(plan.jobSettings);
  say(`${action} job '${config.TELEMETRY_DATABRICKS_JOB_NAME}' (job_id ${jobId})`);
  const trigger = config.TELEMETRY_DATABRICKS_TRIGGER_PRINCIPAL;
  if (trigger) {
    await jobs.grantRuns(jobId, trigger);
    say(`the trigger's service principal ${trigger} may start runs (CAN_MANAGE_RUN)`);
  }
  if (values.json) {
    const job = {
      name: config.TELEMETRY_DATABRICKS_JOB_NAME,
      jobId,
      action,
      ...(trigger ? { runsGrantedTo: trigger } : {}),
    };
    out(
      `${JSON.stringify({ host, table: config.TELEMETRY_TABLE, sqlFile: plan.sqlFile.path, job }, null, 2)}\n`,
    );
  }
  return 0;
};
