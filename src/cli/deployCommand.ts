import { parseArgs } from 'node:util';
import { DatabricksHttp } from '../adapters/databricks/DatabricksHttp.js';
import { DatabricksJobs } from '../adapters/databricks/DatabricksJobs.js';
import { resolveCredentials } from '../adapters/databricks/databricksCredentials.js';
import { DEFAULT_SQL_FILE_PATH, deployPlan } from '../adapters/databricks/deployPlan.js';
import { StatementClient } from '../adapters/databricks/StatementClient.js';
import { databricksEnv } from '../config/databricksConfig.js';
import { resolveDatabricksEnv } from '../config/databricksProfile.js';
import { parseEnv } from '../config/parseEnv.js';
import { type Command, UsageError } from './CliIO.js';

const HELP = `Usage: telemetry deploy databricks [--dry-run] [--sql-path /Workspace/...] [--profile NAME]

Creates or updates, idempotently: the schema and Delta table (${'`'}TELEMETRY_TABLE${'`'}), the load ledger and tombstone
tables, the load job's SQL file in the workspace, and the job (${'`'}TELEMETRY_DATABRICKS_JOB_NAME${'`'}, found by name).
Each job run loads one staged batch, named by its job parameters; the trigger Lambda starts one per staged manifest.

  --dry-run        print what would be created; contacts nothing, needs no credentials
  --sql-path       workspace path of the job's SQL file (default ${DEFAULT_SQL_FILE_PATH})
  --profile NAME   ~/.databrickscfg profile (default DATABRICKS_CONFIG_PROFILE, else DEFAULT)

Environment: DATABRICKS_HOST, DATABRICKS_WAREHOUSE_ID (or TELEMETRY_DATABRICKS_*), and credentials
(DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET, or DATABRICKS_TOKEN, or TELEMETRY_DATABRICKS_SECRET_ARN).
The job runs as TELEMETRY_DATABRICKS_RUN_AS (a service principal's application id; default: the deploying
service principal); failed runs go to TELEMETRY_DATABRICKS_NOTIFY_EMAILS (comma-separated) and/or
TELEMETRY_DATABRICKS_NOTIFY_DESTINATION_ID (a workspace notification destination).
See docs/databricks.md.
`;

/** `telemetry deploy databricks`: the schema, table and `telemetry-load` job, created or updated by name. */
export const deployCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'sql-path': { type: 'string', default: DEFAULT_SQL_FILE_PATH },
      profile: { type: 'string' },
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
  const env = resolveDatabricksEnv(io.env, values.profile);
  const config = parseEnv(databricksEnv, env, 'databricks');
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
    warehouseId: config.TELEMETRY_DATABRICKS_WAREHOUSE_ID,
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
  if (emails.length === 0 && !destination)
    warnings.push(
      'warning: nobody hears about failed load runs: set TELEMETRY_DATABRICKS_NOTIFY_EMAILS or _NOTIFY_DESTINATION_ID',
    );
  for (const w of warnings) io.stderr.write(`${w}\n`);
  const out = (s: string) => io.stdout.write(s);

  if (values['dry-run']) {
    out(`Dry run: nothing is contacted. Against ${config.TELEMETRY_DATABRICKS_HOST} this would:\n\n`);
    out(`1. run on warehouse ${config.TELEMETRY_DATABRICKS_WAREHOUSE_ID} (all idempotent):\n`);
    for (const s of plan.statements) out(`${s.sql.replace(/^/gm, '     ')};\n`);
    out(`\n2. write the workspace file ${plan.sqlFile.path} (${plan.sqlFile.content.length} characters):\n`);
    out(`${plan.sqlFile.content.replace(/^/gm, '     ')}\n`);
    out(
      `3. create the job '${config.TELEMETRY_DATABRICKS_JOB_NAME}', or reset it if a job with that name exists:\n`,
    );
    out(`${JSON.stringify(plan.jobSettings, null, 2).replace(/^/gm, '     ')}\n`);
    return 0;
  }

  const credentials = await resolveCredentials(env);
  const http = new DatabricksHttp({ host: config.TELEMETRY_DATABRICKS_HOST, credentials });
  const sql = new StatementClient(http, { warehouseId: config.TELEMETRY_DATABRICKS_WAREHOUSE_ID });
  for (const s of plan.statements) await sql.execute(s, io.signal);
  out(`schema and tables ready: ${config.TELEMETRY_TABLE} (+ load ledger, tombstones)\n`);
  const jobs = new DatabricksJobs(http);
  await jobs.putWorkspaceFile(plan.sqlFile.path, plan.sqlFile.content);
  out(`wrote ${plan.sqlFile.path}\n`);
  const { jobId, action } = await jobs.deploy(plan.jobSettings);
  out(`${action} job '${config.TELEMETRY_DATABRICKS_JOB_NAME}' (job_id ${jobId})\n`);
  return 0;
};
