import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../ports/ObjectStore.js';

/** Streams the lines of a (gzip) NDJSON object: memory stays bounded by one line, whatever the object size. */
export async function* readRawLines(store: ObjectStore, key: string): AsyncGenerator<string> {
  const body = await store.getStream(key);
  const input = key.endsWith('.gz') ? body.pipe(createGunzip()) : body;
  body.on('error', (error) => input.destroy(error));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() !== '') yield line;
  }
}
