import { parseTableName, type TableName } from './databricksSql.js';
import { loadJobSettings } from './jobSettings.js';
import { loadJobSql } from './jobSql.js';
import { ensureTablesSql, type SqlStatement } from './loadSql.js';

export interface DeployInput {
  readonly table: string;
  readonly warehouseId: string;
  readonly jobName: string;
  /** Workspace path of the job's SQL file. */
  readonly sqlFilePath: string;
  readonly runAs?: string;
  readonly notify?: { readonly emails?: readonly string[]; readonly destinationIds?: readonly string[] };
}

/** Everything `telemetry deploy databricks` creates or updates, computed without touching Databricks. */
export interface DeployPlan {
  readonly target: TableName;
  readonly statements: readonly SqlStatement[];
  readonly sqlFile: { readonly path: string; readonly content: string };
  readonly jobSettings: Record<string, unknown>;
}

export const DEFAULT_SQL_FILE_PATH = '/Workspace/Shared/chargeminder-telemetry/telemetry-load.sql';

/**
 * The deploy plan: schema/table/ledger/tombstones (idempotent DDL), the load SQL file in the workspace, and the
 * `telemetry-load` job (created, or reset when a job with that name exists).
 *
 * @example
 * const plan = deployPlan({ table: 'main.telemetry.car_telemetry_flattened', warehouseId, jobName: 'telemetry-load',
 *   sqlFilePath: DEFAULT_SQL_FILE_PATH });
 */
export function deployPlan(input: DeployInput): DeployPlan {
  const target = parseTableName(input.table);
  return {
    target,
    statements: ensureTablesSql(target),
    sqlFile: { path: input.sqlFilePath, content: loadJobSql(target) },
    jobSettings: loadJobSettings({
      name: input.jobName,
      warehouseId: input.warehouseId,
      sqlFilePath: input.sqlFilePath,
      ...(input.runAs ? { runAs: input.runAs } : {}),
      ...(input.notify ? { notify: input.notify } : {}),
    }),
  };
}
