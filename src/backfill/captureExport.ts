import { captureInputs, type InputItem } from '../capture/captureInputs.js';
import { snapshotOrderKey } from '../core/model/orderKey.js';
import type { ObjectStore } from '../ports/ObjectStore.js';

/** One line of an export data file, as the reader gives it (`file`: the data file's S3 key). */
export interface ExportLine extends InputItem {
  /** Index of its data file in the files manifest. */
  readonly fileIndex: number;
}

export interface CaptureExportOptions {
  readonly exportId: string;
  /** The export's point in time: the snapshot time of every version it yields. */
  readonly exportTimeMs: number;
  /** The data files as the files manifest lists them (same order as `fileIndex`). */
  readonly files: readonly { readonly key: string; readonly itemCount: number }[];
  readonly rawPrefix: string;
  /** Lines per raw object. */
  readonly chunkSize: number;
  readonly onRecord?: (records: number) => void;
  /** Called after each raw object is written, with its key (see captureInputs). */
  readonly onObject?: (key: string) => void | Promise<void>;
  readonly shouldStop?: () => boolean;
}

export interface ExportCaptureSummary {
  readonly exportId: string;
  readonly exportTime: string;
  readonly dataFiles: number;
  /** The manifests' item count. */
  readonly itemCount: number;
  /** Records captured: the items plus one per damaged part (its unreadable rest, quarantined). */
  readonly records: number;
  /** Lines read from the data files (a damaged part's unreadable rest is not an item). */
  readonly items: number;
  readonly objects: number;
  readonly bytes: number;
  /** Data files damaged part-way or missing: the rest is quarantined with its byte offset. */
  readonly damaged: number;
  /** Data files whose line count differs from their manifest entry. */
  readonly mismatched: readonly { readonly file: string; readonly expected: number; readonly read: number }[];
  /** Every data file read whole and every count as the manifest says. */
  readonly reconciled: boolean;
}

/** Positions stay unique across data files: file index in the high digits, line in the low ones. */
const FILE_STRIDE = 10n ** 15n;

/**
 * Backfill from a DynamoDB export: each item becomes a raw object line with the export's snapshot order key
 * (`export`, export time, file + line), so a backfilled version never replaces a stream version nor resurrects an
 * event the stream deleted, and the same export read twice writes the same raw objects (their keys follow from
 * the order keys: the sink's ledger loads each once). Counts are checked against the manifest per data file.
 *
 * @example
 * const s = await captureExport(lines, store, { exportId, exportTimeMs, files, rawPrefix, chunkSize: 5000 });
 */
export async function captureExport(
  lines: AsyncIterable<ExportLine>,
  store: ObjectStore,
  options: CaptureExportOptions,
): Promise<ExportCaptureSummary> {
  const read = options.files.map(() => 0);
  const damagedFiles = new Set<number>();
  async function* counted(): AsyncGenerator<ExportLine> {
    for await (const line of lines) {
      if ('damaged' in line.parsed) damagedFiles.add(line.fileIndex);
      else read[line.fileIndex] = (read[line.fileIndex] ?? 0) + 1;
      yield line;
    }
  }
  const captured = await captureInputs(counted(), store, {
    rawPrefix: options.rawPrefix,
    chunkSize: options.chunkSize,
    snapshotTime: options.exportTimeMs,
    source: `backfill-export-${options.exportId}`,
    orderKey: (line) =>
      snapshotOrderKey(
        'export',
        options.exportTimeMs,
        BigInt(line.fileIndex) * FILE_STRIDE + BigInt(line.position),
      ),
    ...(options.onRecord ? { onRecord: options.onRecord } : {}),
    ...(options.onObject ? { onObject: options.onObject } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  });
  const mismatched = options.files.flatMap((f, i) =>
    read[i] === f.itemCount ? [] : [{ file: f.key, expected: f.itemCount, read: read[i] ?? 0 }],
  );
  return {
    exportId: options.exportId,
    exportTime: new Date(options.exportTimeMs).toISOString(),
    dataFiles: options.files.length,
    itemCount: options.files.reduce((n, f) => n + f.itemCount, 0),
    records: captured.records,
    items: read.reduce((a, b) => a + b, 0),
    objects: captured.objects,
    bytes: captured.bytes,
    damaged: damagedFiles.size,
    mismatched,
    reconciled: mismatched.length === 0 && damagedFiles.size === 0,
  };
}
