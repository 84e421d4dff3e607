import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import { type InputRecord, readInputRecords } from './readInputRecords.js';

/**
 * A DynamoDB export to S3 (`ExportTableToPointInTime`, DYNAMODB_JSON) copied to a local folder, in the layout AWS
 * documents: `<prefix>/AWSDynamoDB/<export-id>/manifest-summary.json`, `manifest-files.json` (NDJSON, one line per
 * data file) and `data/<name>.json.gz` (gzip NDJSON, one `{"Item": {...}}` per line).
 */
export interface DynamoDbExport {
  /** The folder holding the manifests (`.../AWSDynamoDB/<export-id>`). */
  readonly dir: string;
  readonly exportId: string;
  readonly exportArn: string | undefined;
  /** The point in time the export reflects: every item's order key carries it (src/core/model/orderKey.ts). */
  readonly exportTimeMs: number;
  /** The summary manifest's item count: what reading the data files must add up to. */
  readonly itemCount: number;
  readonly files: readonly DynamoDbExportFile[];
}

export interface DynamoDbExportFile {
  /** The object key as the manifest names it (`.../AWSDynamoDB/<id>/data/<name>.json.gz`). */
  readonly key: string;
  /** Where it is on this machine. */
  readonly path: string;
  readonly itemCount: number;
}

const SUMMARY_MANIFEST = 'manifest-summary.json';
const FILES_MANIFEST = 'manifest-files.json';

/** The folder of an export when `path` is one of its manifests, else undefined. */
export function exportDirOfManifest(path: string): string | undefined {
  const name = basename(path);
  return name === SUMMARY_MANIFEST || name === FILES_MANIFEST ? dirname(path) : undefined;
}

const summarySchema = z.object({
  exportArn: z.string().optional(),
  exportTime: z.iso.datetime({ offset: true }),
  itemCount: z.number().int().nonnegative(),
  outputFormat: z.string().optional(),
  exportType: z.string().optional(),
});

const fileLineSchema = z.object({
  dataFileS3Key: z.string().min(1),
  itemCount: z.number().int().nonnegative(),
});

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
}

/** A data file's local path: the part of its S3 key after `AWSDynamoDB/<id>/`, under the export folder. */
function localPath(dir: string, exportId: string, key: string): string {
  const marker = `AWSDynamoDB/${exportId}/`;
  const at = key.lastIndexOf(marker);
  return at >= 0 ? join(dir, key.slice(at + marker.length)) : join(dir, 'data', basename(key));
}

/**
 * Reads an export's manifests (`path`: the export folder or either manifest). Only the manifests are read here;
 * the data files are streamed later by {@link readExportRecords}. An export we cannot read correctly (ION format,
 * an incremental export, a broken manifest) is a clear error, never a guess.
 *
 * @example
 * const exp = await readDynamoDbExport('exports/AWSDynamoDB/01700000000000-abcd1234');
 * for await (const r of readExportRecords(exp)) ...
 */
export async function readDynamoDbExport(path: string): Promise<DynamoDbExport> {
  const full = resolve(path);
  const dir = exportDirOfManifest(full) ?? full;
  const summaryFile = join(dir, SUMMARY_MANIFEST);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(summaryFile, 'utf8'));
  } catch (error) {
    throw new Error(
      `not a DynamoDB export folder: cannot read ${summaryFile} (${errorMessage(error)}); expected the folder ` +
        'AWSDynamoDB/<export-id>/ that holds manifest-summary.json, manifest-files.json and data/',
    );
  }
  const summary = summarySchema.safeParse(raw);
  if (!summary.success) throw new Error(`${summaryFile}: not an export summary: ${problems(summary.error)}`);
  const { outputFormat, exportType } = summary.data;
  if (outputFormat !== undefined && outputFormat !== 'DYNAMODB_JSON')
    throw new Error(
      `${summaryFile}: outputFormat ${outputFormat} is not supported: export with DYNAMODB_JSON`,
    );
  if (exportType !== undefined && exportType !== 'FULL_EXPORT')
    throw new Error(`${summaryFile}: exportType ${exportType} is not supported: use a full export`);
  const exportId = basename(dir);
  const files: DynamoDbExportFile[] = [];
  const manifest = join(dir, FILES_MANIFEST);
  for await (const line of readInputRecords(manifest, { ndjson: true })) {
    const where = `${manifest}:${line.position}`;
    if (!line.parsed.ok) {
      const why = 'damaged' in line.parsed ? line.parsed.damaged.reason : 'not JSON';
      throw new Error(`${where}: cannot read the files manifest (${why})`);
    }
    const entry = fileLineSchema.safeParse(line.parsed.value);
    if (!entry.success) throw new Error(`${where}: not a data file entry: ${problems(entry.error)}`);
    const { dataFileS3Key: key, itemCount } = entry.data;
    files.push({ key, path: localPath(dir, exportId, key), itemCount });
  }
  const listed = files.reduce((n, f) => n + f.itemCount, 0);
  if (listed !== summary.data.itemCount)
    throw new Error(
      `${dir}: the manifests disagree (summary itemCount ${summary.data.itemCount}, data files list ${listed})`,
    );
  return {
    dir,
    exportId,
    exportArn: summary.data.exportArn,
    exportTimeMs: Date.parse(summary.data.exportTime),
    itemCount: summary.data.itemCount,
    files,
  };
}

/** One line of an export's data file: which file (index into `files`), where in it, what it holds. */
export interface ExportRecord extends InputRecord {
  readonly fileIndex: number;
}

/**
 * Streams every line of every data file, in manifest order, gunzipped line by line (a part is never held whole in
 * memory). `file` is the manifest's key, so quarantine entries name the object as it is in S3. A missing or
 * damaged part yields the lines before the damage and one damage record, like any other input.
 */
export async function* readExportRecords(exp: DynamoDbExport): AsyncGenerator<ExportRecord> {
  for (const [fileIndex, f] of exp.files.entries()) {
    for await (const r of readInputRecords(f.path, { ndjson: true }))
      yield { file: f.key, position: r.position, parsed: r.parsed, fileIndex };
  }
}
