import { join, resolve } from 'node:path';
import { DEFAULT_PREFIXES, LOCAL_RAW_PREFIX } from '../config/prefixes.js';

/** The local data folder: a stand-in for the S3 bucket plus the DuckDB warehouse file. */
export interface LocalLayout {
  readonly dataDir: string;
  readonly warehouse: string;
  readonly rawPrefix: string;
  readonly archivePrefix: string;
  readonly quarantinePrefix: string;
  readonly stagedPrefix: string;
}

export function localLayout(dataDir: string, cwd: string): LocalLayout {
  const dir = resolve(cwd, dataDir);
  return {
    dataDir: dir,
    warehouse: join(dir, 'warehouse.duckdb'),
    rawPrefix: LOCAL_RAW_PREFIX,
    archivePrefix: DEFAULT_PREFIXES.archive,
    quarantinePrefix: DEFAULT_PREFIXES.quarantine,
    stagedPrefix: DEFAULT_PREFIXES.staged,
  };
}

export const TABLE_NAME = 'telemetry.car_telemetry_flattened';
