import { parseArgs } from 'node:util';
import { checkWorkspace } from '../adapters/databricks/checkWorkspace.js';
import { resolveCredentials } from '../adapters/databricks/databricksCredentials.js';
import { parseTableName } from '../adapters/databricks/databricksSql.js';
import { databricksEnv } from '../config/databricksConfig.js';
import { resolveDatabricksEnv } from '../config/databricksProfile.js';
import { missingDatabricksSettings } from '../config/databricksSettings.js';
import { parseEnv } from '../config/parseEnv.js';
import { DEFAULT_PREFIXES } from '../config/prefixes.js';
import { type Command, UsageError } from './CliIO.js';

const HELP = `Usage: telemetry doctor databricks [--profile NAME] [--json]

Checks a real workspace and says what is wrong in plain words: host reachable, credentials accepted,
SQL warehouse present and running, SQL runs, runtime new enough, catalog/schema visible, table exists and the
principal may read and modify it, the staged folder readable (when TELEMETRY_BUCKET is set), load job deployed.
Host, warehouse and credentials as the Databricks CLI reads them: DATABRICKS_* variables, then the
~/.databrickscfg profile (--profile, DATABRICKS_CONFIG_PROFILE, else DEFAULT). Read-only. Exit code 0 when nothing failed (warnings allowed), 1 otherwise. See docs/databricks.md.
With settings missing it contacts nothing and lists every one: the variable, an example value, the doc section.

  --json   print {"ready": bool, "checks": [{name, status, detail, fix?}]} instead (for monitoring)
`;

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/** The workspace checks, once every setting is there. */
async function checkOnline(env: NodeJS.ProcessEnv) {
  const config = parseEnv(databricksEnv, env, 'databricks');
  return checkWorkspace({
    host: config.TELEMETRY_DATABRICKS_HOST.replace(/\/+$/, ''),
    warehouseId: config.TELEMETRY_DATABRICKS_WAREHOUSE_ID,
    target: parseTableName(config.TELEMETRY_TABLE),
    jobName: config.TELEMETRY_DATABRICKS_JOB_NAME,
    ...(env.TELEMETRY_BUCKET?.trim()
      ? {
          stagedUrl: `s3://${env.TELEMETRY_BUCKET.trim()}/${env.TELEMETRY_STAGED_PREFIX?.trim() || DEFAULT_PREFIXES.staged}`,
        }
      : {}),
    credentials: () => resolveCredentials(env),
  });
}

/** `telemetry doctor databricks`. */
export const doctorCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
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
    throw new UsageError("expected 'telemetry doctor databricks'");
  }
  const env = resolveDatabricksEnv(io.env, values.profile);
  const missing = missingDatabricksSettings(env);
  const checks = missing.length
    ? missing.map((m) => ({
        name: `setting ${m.variable}`,
        status: 'fail' as const,
        detail: m.problem,
        fix: `${m.fix} (see ${m.doc})`,
      }))
    : await checkOnline(env);
  const failed = checks.filter((c) => c.status === 'fail').length;
  if (missing.length && !values.json) io.stdout.write('Not configured yet (nothing was contacted):\n');
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ready: failed === 0, checks }, null, 2)}\n`);
    return failed === 0 ? 0 : 1;
  }
  for (const c of checks) {
    io.stdout.write(`${MARK[c.status]}  ${c.name}: ${c.detail}\n`);
    if (c.fix && c.status !== 'ok') io.stdout.write(`      fix: ${c.fix}\n`);
  }
  io.stdout.write(failed === 0 ? '\nThe workspace is ready.\n' : `\n${failed} check(s) failed.\n`);
  return failed === 0 ? 0 : 1;
};
