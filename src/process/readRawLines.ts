import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { errorMessage, PipelineError } from '../core/errors.js';
import type { ObjectStore } from '../ports/ObjectStore.js';

/**
 * The object's bytes stopped decoding (corrupt or cut-off gzip) after `byteOffset` compressed bytes were read: the
 * lines yielded before are good, the rest of the object cannot be read. Content trouble, not infrastructure.
 */
export class DamagedObjectError extends PipelineError {
  readonly byteOffset: number;
  constructor(key: string, byteOffset: number, cause: unknown) {
    super(`${key}: unreadable from byte ${byteOffset} (${errorMessage(cause)})`, { terminal: true, cause });
    this.byteOffset = byteOffset;
  }
}

/**
 * Streams the lines of a (gzip) NDJSON object: memory stays bounded by one line, whatever the object size.
 * Storage errors are thrown as they are; a decoding error (zlib) as DamagedObjectError.
 */
export async function* readRawLines(store: ObjectStore, key: string): AsyncGenerator<string> {
  yield* rawLines(await store.getStream(key), key);
}

/** The lines of an object's body (gunzipped when `key` ends with `.gz`); errors as {@link readRawLines}. */
export async function* rawLines(body: Readable, key: string): AsyncGenerator<string> {
  // 64 KB output chunks instead of 16 KB: a quarter of the callbacks (gunzip + line split -25% CPU on 10 MB objects).
  const gunzip = key.endsWith('.gz') ? createGunzip({ chunkSize: 64 * 1024 }) : undefined;
  const input = gunzip ? body.pipe(gunzip) : body;
  body.on('error', (error) => input.destroy(error));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (line.trim() !== '') yield line;
    }
  } catch (error) {
    const zlibError = String((error as { code?: unknown }).code).startsWith('Z_');
    if (!gunzip || !zlibError) throw error;
    throw new DamagedObjectError(key, gunzip.bytesWritten, error);
  }
}
