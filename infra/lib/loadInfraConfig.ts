import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../../src/core/errors.js';
import { type InfraConfig, infraConfig } from './infraConfig.js';

/** The shipped example: synthesizes offline, refuses to deploy. */
export const EXAMPLE_CONFIG_FILE = 'infra/config/example.json';

/** Environment variables that override one config field each (applied before validation). */
export const CONFIG_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  TELEMETRY_DEPLOY_STACK_NAME: ['stackName'],
  TELEMETRY_DEPLOY_ACCOUNT: ['account'],
  TELEMETRY_DEPLOY_REGION: ['region'],
  TELEMETRY_DEPLOY_TABLE_MODE: ['table', 'mode'],
  TELEMETRY_DEPLOY_TABLE_NAME: ['table', 'name'],
  TELEMETRY_DEPLOY_STREAM_ARN: ['table', 'streamArn'],
  TELEMETRY_DEPLOY_BUCKET: ['bucket', 'name'],
  TELEMETRY_DEPLOY_SCHEDULE: ['process', 'schedule'],
  TELEMETRY_DEPLOY_DATABRICKS_HOST: ['databricks', 'host'],
  TELEMETRY_DEPLOY_DATABRICKS_WAREHOUSE_ID: ['databricks', 'warehouseId'],
  TELEMETRY_DEPLOY_DATABRICKS_SECRET_ARN: ['databricks', 'secretArn'],
  TELEMETRY_DEPLOY_LOAD_MODE: ['databricks', 'loadMode'],
  TELEMETRY_DEPLOY_ALARM_EMAIL: ['alarms', 'email'],
};

export interface LoadInfraConfigOptions {
  /** JSON file; default `TELEMETRY_DEPLOY_CONFIG` (when set and not empty), else the example. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Refuse the example file (what `npm run deploy` asks for). */
  readonly forDeploy?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (!isRecord(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const leaf = path.at(-1);
  if (leaf !== undefined) node[leaf] = value;
}

/** Applies `TELEMETRY_DEPLOY_*` overrides to the raw (unvalidated) config object. */
export function applyOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const [variable, path] of Object.entries(CONFIG_OVERRIDES)) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') setPath(out, path, value.trim());
  }
  return out;
}

/** Validates a raw config object; the error names every problem with its path. */
export function parseInfraConfig(raw: unknown, source: string): InfraConfig {
  const result = infraConfig.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new ConfigError(`invalid deployment config ${source}:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/**
 * Loads the deployment config: a JSON file (see `infra/config/example.json`) plus `TELEMETRY_DEPLOY_*` overrides.
 *
 * @example
 * const config = loadInfraConfig({ file: 'infra/config/prod.json', forDeploy: true });
 */
export function loadInfraConfig(options: LoadInfraConfigOptions = {}): InfraConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? (env.TELEMETRY_DEPLOY_CONFIG?.trim() || EXAMPLE_CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read deployment config ${file}: ${errorMessage(error)}`);
  }
  if (!isRecord(raw)) throw new ConfigError(`deployment config ${file} must hold a JSON object`);
  const config = parseInfraConfig(applyOverrides(raw, env), file);
  if (options.forDeploy === true && config.example) {
    throw new ConfigError(
      `${file} is the example config (its ARNs and hosts are placeholders). Copy it, fill in your values, ` +
        'remove "example": true, and deploy with TELEMETRY_DEPLOY_CONFIG=<your file> npm run deploy',
    );
  }
  return config;
}
