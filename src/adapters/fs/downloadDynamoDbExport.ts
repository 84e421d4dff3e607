import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../../ports/ObjectStore.js';
import { type DynamoDbExport, readDynamoDbExport } from './dynamoDbExport.js';

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/**
 * Copies a DynamoDB export from a bucket (`prefix` = `.../AWSDynamoDB/<export-id>/`) into `dir` in the same layout,
 * then reads it like a local export: the manifests first, then each data file they list, streamed to disk (never
 * held in memory). A data file already there with the object's size is not fetched again, so an interrupted copy
 * continues where it stopped.
 *
 * @example
 * const exp = await downloadDynamoDbExport(s3, 'exports/AWSDynamoDB/01700000000000-abcd1234/', 'data/backfill/export/01700000000000-abcd1234');
 */
export async function downloadDynamoDbExport(
  store: ObjectStore,
  prefix: string,
  dir: string,
): Promise<DynamoDbExport> {
  await mkdir(dir, { recursive: true });
  for (const name of ['manifest-summary.json', 'manifest-files.json'])
    await writeFile(join(dir, name), await store.get(`${prefix}${name}`));
  const exp = await readDynamoDbExport(dir);
  for (const f of exp.files) {
    const size = (await store.head(f.key))?.size;
    if (size !== undefined && (await sizeOf(f.path)) === size) continue;
    await mkdir(dirname(f.path), { recursive: true });
    const partial = `${f.path}.partial`;
    await pipeline(await store.getStream(f.key), createWriteStream(partial));
    await rename(partial, f.path);
  }
  return exp;
}
