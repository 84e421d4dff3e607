import type { ObjectStore } from '../../ports/ObjectStore.js';
import type { TableSink } from '../../ports/TableSink.js';

export interface DatabricksSinkFactoryOptions {
  /** Where staged Parquet batches and their manifests are written (S3 in the cloud, a folder locally). */
  readonly store: ObjectStore;
  /** Key prefix of staged batches, e.g. `staged/`. */
  readonly stagedPrefix: string;
  /** `TELEMETRY_DATABRICKS_*` settings (see src/config/databricksConfig.ts). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The Databricks Unity Catalog sink. `direct` mode stages each batch as Parquet + manifest and runs the load SQL
 * right away; `job` mode only stages (the `telemetry-load` job loads pending batches).
 *
 * @example
 * const sink = await createDatabricksSink({ store, stagedPrefix: 'staged/', env: process.env });
 */
export async function createDatabricksSink(options: DatabricksSinkFactoryOptions): Promise<TableSink> {
  void options;
  throw new Error('Databricks sink: not implemented yet (issue 4)');
}
