import { sep } from 'node:path';
import { type DynamoDbExport, exportDirOfManifest, readDynamoDbExport } from './dynamoDbExport.js';
import { expandInputs } from './readInputRecords.js';

export interface InputSources {
  /** Plain input files (and `-`), in the order {@link expandInputs} gives them. */
  readonly files: readonly string[];
  /** DynamoDB export folders found among the inputs: read through their manifests, never as events. */
  readonly exports: readonly DynamoDbExport[];
  /** Files inside an export folder that its manifest does not list (left alone, worth a warning). */
  readonly unlisted: readonly string[];
}

/**
 * `--input` paths -> plain files plus DynamoDB exports. A folder holding `manifest-summary.json` (at any depth, so
 * the export prefix or the bucket copy works too), or a manifest given directly, is an export: its manifests are
 * read and name the data files, and nothing under that folder is read as a plain input.
 */
export async function expandInputSources(paths: readonly string[]): Promise<InputSources> {
  const all = await expandInputs(paths);
  const dirs = [...new Set(all.map(exportDirOfManifest).filter((d) => d !== undefined))].sort();
  const exports = await Promise.all(dirs.map(readDynamoDbExport));
  const listed = new Set(exports.flatMap((e) => e.files.map((f) => f.path)));
  const inside = (f: string) => dirs.some((d) => f.startsWith(d + sep));
  return {
    files: all.filter((f) => !inside(f) && exportDirOfManifest(f) === undefined),
    exports,
    unlisted: all.filter((f) => inside(f) && exportDirOfManifest(f) === undefined && !listed.has(f)),
  };
}
