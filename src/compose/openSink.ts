import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';

/** What any sink may need; each sink takes what it uses. */
export interface SinkConfig {
  /** DuckDB: the database file. */
  readonly warehouse?: string;
  /** Databricks: where staged Parquet batches go, and their key prefix. */
  readonly store?: ObjectStore;
  readonly stagedPrefix?: string;
  /** Databricks: stage to this Unity Catalog volume (`/Volumes/...`) through the Files API instead of `store`. */
  readonly stageVolume?: string;
  /** Databricks: `TELEMETRY_DATABRICKS_*` settings and credentials. */
  readonly env?: NodeJS.ProcessEnv;
  readonly locate?: (key: string) => string;
}

/**
 * The one registry of table sinks: every command and handler opens its sink here, so adding a sink is one entry
 * (and the TableSink contract suite, test/ports/tableSinkContract.ts). Modules load lazily: DuckDB users never
 * load the Databricks SDK and the reverse.
 */
export const SINKS = {
  duckdb: async (config: SinkConfig): Promise<TableSink> => {
    const { DuckDbSink } = await import('../adapters/duckdb/DuckDbSink.js');
    return DuckDbSink.open(config.warehouse ?? ':memory:');
  },
  databricks: async (config: SinkConfig): Promise<TableSink> => {
    const { createDatabricksSink } = await import('./createDatabricksSink.js');
    if ((!config.store && !config.stageVolume) || config.stagedPrefix === undefined) {
      throw new Error('the databricks sink needs a staging store (or volume) and prefix');
    }
    return createDatabricksSink({
      ...(config.store ? { store: config.store } : {}),
      ...(config.stageVolume ? { stageVolume: config.stageVolume } : {}),
      stagedPrefix: config.stagedPrefix,
      env: config.env ?? {},
      ...(config.locate ? { locate: config.locate } : {}),
    });
  },
} as const satisfies Record<string, (config: SinkConfig) => Promise<TableSink>>;

export type SinkName = keyof typeof SINKS;

export function isSinkName(name: string): name is SinkName {
  return Object.hasOwn(SINKS, name);
}

/** Opens the named sink; `undefined` for an unknown name (the caller reports it in its own words). */
export async function openSink(name: string, config: SinkConfig): Promise<TableSink | undefined> {
  return isSinkName(name) ? SINKS[name](config) : undefined;
}
