import { type DynamoDbExport, readExportRecords } from '../adapters/fs/dynamoDbExport.js';
import { captureExport, type ExportCaptureSummary } from '../backfill/captureExport.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { CliIO } from './CliIO.js';
import { progressReporter } from './progress.js';

/**
 * Captures DynamoDB export folders into raw objects (export order keys), with progress against the manifests'
 * item count. Shared by `run --input <export>` and `backfill --export`.
 */
export async function captureExports(
  exports: readonly DynamoDbExport[],
  store: ObjectStore,
  options: {
    readonly rawPrefix: string;
    readonly chunkSize: number;
    /** Called after each raw object is written, with its key. */
    readonly onObject?: (key: string) => void | Promise<void>;
    readonly shouldStop?: () => boolean;
  },
  io: CliIO,
): Promise<ExportCaptureSummary[]> {
  const total = exports.reduce((n, e) => n + e.itemCount, 0);
  const progress = progressReporter(io.stderr, { label: 'reading export', unit: 'items' });
  const summaries: ExportCaptureSummary[] = [];
  let before = 0;
  for (const exp of exports) {
    const summary = await captureExport(readExportRecords(exp), store, {
      exportId: exp.exportId,
      exportTimeMs: exp.exportTimeMs,
      files: exp.files,
      rawPrefix: options.rawPrefix,
      chunkSize: options.chunkSize,
      onRecord: (n) => progress.update(before + n, total),
      ...(options.onObject ? { onObject: options.onObject } : {}),
      shouldStop: () => io.signal?.aborted === true || options.shouldStop?.() === true,
    });
    before += summary.items;
    summaries.push(summary);
  }
  progress.done();
  return summaries;
}

/** One human line per export: where it came from and whether its counts match the manifest. */
export function formatExportLine(s: ExportCaptureSummary): string {
  const check = s.reconciled
    ? 'matches the manifest'
    : `MISMATCH: ${s.mismatched.map((m) => `${m.file} read ${m.read} of ${m.expected}`).join(', ')}`;
  return `export ${s.exportId} (${s.exportTime}): ${s.items}/${s.itemCount} items from ${s.dataFiles} data file(s), ${check}`;
}
