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

/**
 * The layout of the data folder `given` (`--data-dir`), else `TELEMETRY_DATA_DIR`, else `./data`, relative to the
 * working directory.
 */
export function localLayout(
  given: string | undefined,
  io: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
): LocalLayout {
  const dir = resolve(io.cwd, given ?? (io.env.TELEMETRY_DATA_DIR?.trim() || 'data'));
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
