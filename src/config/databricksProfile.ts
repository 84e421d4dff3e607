import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { DATABRICKS_SETUP_DOC } from './databricksSettings.js';

/** ~/.databrickscfg keys we read, and the variable each one stands for (as the Databricks CLI and SDKs map them). */
const PROFILE_KEYS: Record<string, string> = {
  host: 'DATABRICKS_HOST',
  token: 'DATABRICKS_TOKEN',
  client_id: 'DATABRICKS_CLIENT_ID',
  client_secret: 'DATABRICKS_CLIENT_SECRET',
  warehouse_id: 'DATABRICKS_WAREHOUSE_ID',
};

/** Our names for the settings the Databricks tools name DATABRICKS_*: the TELEMETRY_ ones stay as aliases. */
const ALIASES: Record<string, string> = {
  DATABRICKS_HOST: 'TELEMETRY_DATABRICKS_HOST',
  DATABRICKS_WAREHOUSE_ID: 'TELEMETRY_DATABRICKS_WAREHOUSE_ID',
};

/** Sections of an INI file (the .databrickscfg format): `[name]` then `key = value`; `#`/`;` comment lines. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section?.[1]) {
      current = new Map();
      sections.set(section[1].trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

/**
 * The environment with Databricks settings completed as the Databricks CLI and SDKs resolve them: variables set
 * in the environment win, then the profile (`profile` argument, else DATABRICKS_CONFIG_PROFILE, else DEFAULT) of
 * DATABRICKS_CONFIG_FILE or ~/.databrickscfg. DATABRICKS_HOST / DATABRICKS_WAREHOUSE_ID fill the TELEMETRY_
 * names when those are unset. A profile asked for by name must exist; DEFAULT may be absent.
 */
export function resolveDatabricksEnv(env: NodeJS.ProcessEnv, profile?: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  const named = profile ?? env.DATABRICKS_CONFIG_PROFILE?.trim();
  const file = env.DATABRICKS_CONFIG_FILE?.trim() || join(env.HOME?.trim() || homedir(), '.databrickscfg');
  const sections = existsSync(file) ? parseIni(readFileSync(file, 'utf8')) : new Map();
  const section = sections.get(named || 'DEFAULT');
  if (named && !section) {
    throw new ConfigError(
      `Databricks profile '${named}' not found in ${file}: add a [${named}] section with host = https://dbc-1234.cloud.databricks.com ` +
        `and token = ... (or client_id/client_secret), or unset DATABRICKS_CONFIG_PROFILE (${DATABRICKS_SETUP_DOC})`,
    );
  }
  for (const [key, variable] of Object.entries(PROFILE_KEYS)) {
    const value = section?.get(key);
    if (value && !out[variable]?.trim()) out[variable] = value;
  }
  for (const [ours, alias] of Object.entries(ALIASES)) {
    if (!out[alias]?.trim() && out[ours]?.trim()) out[alias] = out[ours];
  }
  return out;
}
