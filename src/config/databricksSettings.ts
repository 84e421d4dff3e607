/** Where docs/databricks.md explains how to point the command line at a workspace. */
export const DATABRICKS_SETUP_DOC = 'docs/databricks.md#4-point-the-command-line-at-the-workspace';

/** A setting the Databricks commands need, as a user would set it. */
export interface DatabricksSetting {
  /** The variable to set (the Databricks tools' name; our TELEMETRY_ alias is accepted too). */
  readonly variable: string;
  /** The problem in a few words: not set, or why the value is wrong. */
  readonly problem: string;
  readonly example: string;
  /** What to run to fix it. */
  readonly fix: string;
  readonly doc: string;
}

const REQUIRED = [
  {
    variable: 'DATABRICKS_HOST',
    alias: 'TELEMETRY_DATABRICKS_HOST',
    example: 'https://dbc-1234abcd-5678.cloud.databricks.com',
    valid: (v: string) => /^https?:\/\/[^/\s]+/.test(v),
    invalid: 'not a URL',
  },
  {
    variable: 'DATABRICKS_WAREHOUSE_ID',
    alias: 'TELEMETRY_DATABRICKS_WAREHOUSE_ID',
    example: '1234567890abcdef',
    valid: () => true,
    invalid: '',
  },
] as const;

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/**
 * Every Databricks setting that is missing or wrong in `env` (already completed from ~/.databrickscfg by
 * `resolveDatabricksEnv`), each with the variable to set, an example value and the doc section: what `doctor`
 * prints offline and `deploy --dry-run` shows as placeholders. `credentials: false` skips the credential check
 * (a dry run needs none).
 */
export function missingDatabricksSettings(
  env: NodeJS.ProcessEnv,
  options: { readonly credentials?: boolean } = {},
): DatabricksSetting[] {
  const out: DatabricksSetting[] = [];
  for (const s of REQUIRED) {
    const v = value(env, s.alias) ?? value(env, s.variable);
    const setting = {
      variable: s.variable,
      example: s.example,
      fix: `export ${s.variable}=${s.example} (or ${s.variable.slice('DATABRICKS_'.length).toLowerCase()} = ... in ~/.databrickscfg)`,
      doc: DATABRICKS_SETUP_DOC,
    };
    if (v === undefined) out.push({ ...setting, problem: 'not set' });
    else if (!s.valid(v)) out.push({ ...setting, problem: `${s.invalid}: '${v}'` });
  }
  const hasCredentials =
    value(env, 'DATABRICKS_TOKEN') !== undefined ||
    (value(env, 'DATABRICKS_CLIENT_ID') !== undefined &&
      value(env, 'DATABRICKS_CLIENT_SECRET') !== undefined) ||
    value(env, 'TELEMETRY_DATABRICKS_SECRET_ARN') !== undefined;
  if (options.credentials !== false && !hasCredentials)
    out.push({
      variable: 'DATABRICKS_CLIENT_ID',
      problem:
        'no credentials (DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET, DATABRICKS_TOKEN or a profile)',
      example: '6b0c6bd2-1f6d-4c1e-9e55-1c2b3d4e5f60',
      fix:
        "export DATABRICKS_CLIENT_ID=<the service principal's application id> DATABRICKS_CLIENT_SECRET=<its OAuth " +
        'secret> (or DATABRICKS_TOKEN=dapi..., or a profile in ~/.databrickscfg)',
      doc: 'docs/databricks.md#1-create-a-service-principal-preferred-or-a-token',
    });
  return out;
}

/** One line per setting: `DATABRICKS_HOST: not set: export DATABRICKS_HOST=https://... (see docs/...)`. */
export function formatSetting(s: DatabricksSetting): string {
  return `${s.variable}: ${s.problem}: ${s.fix} (see ${s.doc})`;
}

/** TELEMETRY_BUCKET, where staged Parquet goes so the workspace can read it (`why`: the problem, e.g. not set). */
export function bucketSetting(why = 'not set'): DatabricksSetting {
  return {
    variable: 'TELEMETRY_BUCKET',
    problem: why,
    example: 'chargeminder-telemetry-123456789012',
    fix: 'export TELEMETRY_BUCKET=<an S3 bucket the workspace reads through an external location>',
    doc: 'docs/databricks.md#2-let-the-warehouse-read-the-staged-files',
  };
}

/** Where docs/databricks.md explains staging to a Unity Catalog volume from a laptop. */
export const STAGE_VOLUME_DOC = 'docs/databricks.md#from-a-laptop-stage-to-a-volume';

/** TELEMETRY_DATABRICKS_VOLUME (or `--stage-volume`): the volume staged Parquet goes to (`why`: the problem). */
export function volumeSetting(why = 'not set'): DatabricksSetting {
  return {
    variable: 'TELEMETRY_DATABRICKS_VOLUME',
    problem: why,
    example: '/Volumes/main/telemetry/staging',
    fix: 'export TELEMETRY_DATABRICKS_VOLUME=/Volumes/<catalog>/<schema>/<volume>[/<folder>] (or --stage-volume)',
    doc: STAGE_VOLUME_DOC,
  };
}

/**
 * A Unity Catalog volume path as the Files API and `read_files` take it, `/Volumes/<catalog>/<schema>/<volume>`
 * plus optional folders, without a trailing `/`; or the problem with it, in a user's words.
 */
export function parseVolumePath(value: string): { path: string } | { problem: string } {
  const path = value.trim().replace(/\/+$/, '');
  const parts = path.split('/').slice(1);
  if (!path.startsWith('/Volumes/') || parts.length < 4)
    return { problem: `not a volume path /Volumes/<catalog>/<schema>/<volume>: '${value}'` };
  if (parts.some((p) => p === '' || p === '.' || p === '..'))
    return { problem: `empty, '.' or '..' folder in '${value}'` };
  return { path };
}
