import type { z } from 'zod';
import { databricksEnv } from './databricksConfig.js';
import { parseEnv } from './parseEnv.js';
import { storageEnv } from './storageConfig.js';

/** Environment of the process Lambda (raw objects -> staged Parquet -> Databricks). */
export const processEnv = storageEnv.extend(databricksEnv.shape);
export type ProcessConfig = z.infer<typeof processEnv>;

export function parseProcessConfig(env: NodeJS.ProcessEnv = process.env): ProcessConfig {
  return parseEnv(processEnv, env, 'process');
}
