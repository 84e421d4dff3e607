/**
 * The default key prefix of each object role, in one place: the Lambdas' environment, the CDK config and the local
 * data folder all start from these. A local folder keeps raw objects under `raw/` so that `raw/`, `archive/`,
 * `quarantine/` and `staged/` sit side by side.
 */
export const DEFAULT_PREFIXES = {
  raw: 'telemetry/',
  archive: 'archive/telemetry/',
  quarantine: 'quarantine/telemetry/',
  staged: 'staged/',
} as const;

export const LOCAL_RAW_PREFIX = `raw/${DEFAULT_PREFIXES.raw}`;
