import { z } from 'zod';
import { COLUMN_TYPES } from '../../core/schema/ColumnType.js';

/** A column as staged (name + logical type); also the shape of `<stagedPrefix>columns.json` (job mode's registry). */
export const columnDef = z.object({
  name: z.string().min(1),
  type: z.enum(COLUMN_TYPES as [string, ...string[]]),
});

/**
 * The small JSON written last next to a staged batch's Parquet files: its presence means the batch is durably
 * staged. Readers (the load job, the trigger Lambda, tests) validate it with {@link parseManifest}.
 */
export const stagedManifest = z.object({
  version: z.literal(1),
  batchId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  createdAt: z.string(),
  rowCount: z.number().int().nonnegative(),
  deleteCount: z.number().int().nonnegative(),
  columns: z.array(columnDef),
  newColumns: z.array(columnDef),
  /** Raw object keys the rows came from (the exactly-once ledger unit). */
  files: z.array(z.string()),
  /** Parquet files with rows, relative to the batch folder. */
  parts: z.array(z.string()),
  /** Parquet file with REMOVE records (event_id, sequence_number), relative to the batch folder (may be empty). */
  deletes: z.string(),
  /**
   * What each column holds (the batch's and the fixed ones), for the load job's documentation step; absent in
   * manifests staged before it existed (their runs document nothing).
   */
  docs: z.array(z.object({ name: z.string(), comment: z.string(), pii: z.boolean() })).optional(),
});
export type StagedManifest = z.infer<typeof stagedManifest> & {
  readonly columns: { name: string; type: (typeof COLUMN_TYPES)[number] }[];
  readonly newColumns: { name: string; type: (typeof COLUMN_TYPES)[number] }[];
};

/**
 * Staged layout: `<stagedPrefix>batch-<id>/part-00000.parquet`, `deletes-00000.parquet`, `manifest.json`. No name
 * starts with `_` or `.` (Spark and Databricks file listings skip those as hidden) and no folder is `key=value`
 * (read as a partition column). The lifecycle rule expires `<stagedPrefix>batch-` only.
 */
export const BATCH_FOLDER_PREFIX = 'batch-';
export const MANIFEST_NAME = 'manifest.json';
export const DELETES_NAME = 'deletes-00000.parquet';
export const ROWS_GLOB = 'part-*.parquet';

export function batchFolder(stagedPrefix: string, batchId: string): string {
  return `${stagedPrefix}${BATCH_FOLDER_PREFIX}${batchId}/`;
}

export function manifestKey(stagedPrefix: string, batchId: string): string {
  return `${batchFolder(stagedPrefix, batchId)}${MANIFEST_NAME}`;
}

const MANIFEST_KEY = /^(.*\/)?batch-([A-Za-z0-9_-]{1,64})\/manifest\.json$/;

/** The staged prefix and batch id of a manifest key (what the trigger Lambda reacts to); undefined otherwise. */
export function manifestBatch(key: string): { stagedPrefix: string; batchId: string } | undefined {
  const m = MANIFEST_KEY.exec(key);
  return m?.[2] ? { stagedPrefix: m[1] ?? '', batchId: m[2] } : undefined;
}

export function isManifestKey(key: string): boolean {
  return manifestBatch(key) !== undefined;
}

export function parseManifest(bytes: Uint8Array): StagedManifest {
  return stagedManifest.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))) as StagedManifest;
}
