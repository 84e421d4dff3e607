import { DatabricksHttp } from '../adapters/databricks/DatabricksHttp.js';
import { DatabricksSink } from '../adapters/databricks/DatabricksSink.js';
import { DatabricksVolumeStore } from '../adapters/databricks/DatabricksVolumeStore.js';
import { resolveCredentials, type SecretReader } from '../adapters/databricks/databricksCredentials.js';
import { parseTableName } from '../adapters/databricks/databricksSql.js';
import { StatementClient } from '../adapters/databricks/StatementClient.js';
import { databricksEnv } from '../config/databricksConfig.js';
import { parseEnv } from '../config/parseEnv.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';

export interface DatabricksSinkFactoryOptions {
  /** Where staged Parquet batches and their manifests are written (S3 in the cloud, a folder locally). */
  readonly store?: ObjectStore;
  /**
   * Instead of `store`: a Unity Catalog volume path (`/Volumes/<catalog>/<schema>/<volume>`, validated) that batches
   * are uploaded to through the workspace's Files API, with the sink's own credentials: no bucket needed.
   */
  readonly stageVolume?: string;
  /** Key prefix of staged batches, e.g. `staged/`. */
  readonly stagedPrefix: string;
  /** `TELEMETRY_DATABRICKS_*` settings (see src/config/databricksConfig.ts) and, locally, `DATABRICKS_*` credentials. */
  readonly env: NodeJS.ProcessEnv;
  /** Injected in tests; Secrets Manager by default. */
  readonly readSecret?: SecretReader;
  /** The URL the warehouse reads a staged key from (default: `store.describe(key)`). */
  readonly locate?: (key: string) => string;
}

/**
 * The Databricks Unity Catalog sink. `direct` mode stages each batch as Parquet + manifest and runs the load SQL
 * right away; `job` mode only stages (the `telemetry-load` job loads pending batches).
 *
 * @example
 * const sink = await createDatabricksSink({ store, stagedPrefix: 'staged/', env: process.env });
 */
/** The warehouse named by the `TELEMETRY_DATABRICKS_*` / `DATABRICKS_*` settings, and the table it loads. */
export async function openDatabricksWarehouse(env: NodeJS.ProcessEnv, readSecret?: SecretReader) {
  const config = parseEnv(databricksEnv, env, 'databricks');
  const target = parseTableName(config.TELEMETRY_TABLE);
  const credentials = await resolveCredentials(env, readSecret);
  const http = new DatabricksHttp({ host: config.TELEMETRY_DATABRICKS_HOST, credentials });
  const deadline = config.TELEMETRY_DATABRICKS_STATEMENT_DEADLINE_SECONDS;
  const sql = new StatementClient(http, {
    warehouseId: config.TELEMETRY_DATABRICKS_WAREHOUSE_ID,
    ...(deadline ? { deadlineMs: deadline * 1000 } : {}),
  });
  return { config, target, http, sql };
}

export async function createDatabricksSink(options: DatabricksSinkFactoryOptions): Promise<TableSink> {
  const { config, target, http, sql } = await openDatabricksWarehouse(options.env, options.readSecret);
  const store = options.stageVolume ? new DatabricksVolumeStore(http, options.stageVolume) : options.store;
  if (!store) throw new Error('the databricks sink needs a staging store or volume');
  return new DatabricksSink(sql, {
    store,
    stagedPrefix: options.stagedPrefix,
    target,
    mode: config.TELEMETRY_LOAD_MODE,
    ...(options.locate ? { locate: options.locate } : {}),
  });
}
