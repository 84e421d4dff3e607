import { FIXED_COLUMNS } from '../../core/schema/fixedColumns.js';
import type { ObjectStore } from '../../ports/ObjectStore.js';
import type { LoadBatch } from '../../ports/TableSink.js';
import { columnDocEntries } from './databricksDocs.js';
import { encodeParquet } from './encodeParquet.js';
import { batchFolder, DELETES_NAME, MANIFEST_NAME, type StagedManifest } from './StagedManifest.js';

export const DELETE_COLUMNS = [
  { name: 'event_id', type: 'VARCHAR' },
  { name: 'sequence_number', type: 'VARCHAR' },
] as const;

export interface StagedBatch {
  readonly manifest: StagedManifest;
  /** Key of the batch folder (ends with `/`). */
  readonly folder: string;
  readonly manifestKey: string;
}

export interface StageOptions {
  readonly stagedPrefix: string;
  /** Rows per Parquet part (bounds memory of the writer). */
  readonly rowsPerPart?: number;
  readonly now?: () => number;
}

/**
 * Writes a load batch as Parquet parts (+ a deletes file) and then its manifest, so a manifest always points at
 * complete files. Re-staging the same batch id overwrites the same keys (harmless).
 *
 * @example
 * const staged = await stageBatch(store, batch, { stagedPrefix: 'staged/' });
 * // staged/batch-<id>/part-00000.parquet, deletes-00000.parquet, manifest.json
 */
export async function stageBatch(
  store: ObjectStore,
  batch: LoadBatch,
  options: StageOptions,
): Promise<StagedBatch> {
  const folder = batchFolder(options.stagedPrefix, batch.batchId);
  const perPart = options.rowsPerPart ?? 250_000;
  const parts: string[] = [];
  for (let start = 0, n = 0; start < batch.rows.length || n === 0; start += perPart, n++) {
    const name = `part-${String(n).padStart(5, '0')}.parquet`;
    const rows = batch.rows.slice(start, start + perPart);
    await store.put(folder + name, encodeParquet(rows, batch.columns), {
      contentType: 'application/vnd.apache.parquet',
    });
    parts.push(name);
  }
  // Always written (possibly empty), as is part-00000: the load statements are the same for every batch.
  const deletes = DELETES_NAME;
  const deleteRows = batch.deletes.map((d) => [d.eventId, d.sequenceNumber]);
  await store.put(folder + deletes, encodeParquet(deleteRows, DELETE_COLUMNS), {
    contentType: 'application/vnd.apache.parquet',
  });
  const manifest: StagedManifest = {
    version: 1,
    batchId: batch.batchId,
    createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    rowCount: batch.rows.length,
    deleteCount: batch.deletes.length,
    columns: batch.columns.map((c) => ({ name: c.name, type: c.type })),
    newColumns: batch.newColumns.map((c) => ({ name: c.name, type: c.type })),
    files: [...batch.files],
    parts,
    deletes,
    docs: columnDocEntries([...new Set([...FIXED_COLUMNS, ...batch.columns].map((c) => c.name))]),
  };
  const manifestKey = folder + MANIFEST_NAME;
  await store.put(manifestKey, Buffer.from(JSON.stringify(manifest, null, 2)), {
    contentType: 'application/json',
  });
  return { manifest, folder, manifestKey };
}
