import { z } from 'zod';
import { COLUMN_TYPES } from '../../core/schema/ColumnType.js';

/** A column as staged (name + logical type); also the shape of `<stagedPrefix>_columns.json`. */
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
});
export type StagedManifest = z.infer<typeof stagedManifest> & {
  readonly columns: { name: string; type: (typeof COLUMN_TYPES)[number] }[];
  readonly newColumns: { name: string; type: (typeof COLUMN_TYPES)[number] }[];
};

export const MANIFEST_NAME = '_manifest.json';

/** `staged/batch_id=<id>/`: hive-style, so a partition column `batch_id` can be read from paths. */
export function batchFolder(stagedPrefix: string, batchId: string): string {
  return `${stagedPrefix}batch_id=${batchId}/`;
}

export function manifestKey(stagedPrefix: string, batchId: string): string {
  return `${batchFolder(stagedPrefix, batchId)}${MANIFEST_NAME}`;
}

/** Whether an object key is a staged manifest (what the trigger Lambda reacts to). */
export function isManifestKey(key: string): boolean {
  return /(?:^|\/)batch_id=[A-Za-z0-9_-]{1,64}\/_manifest\.json$/.test(key);
}

export function parseManifest(bytes: Uint8Array): StagedManifest {
  return stagedManifest.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))) as StagedManifest;
}
