import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Epoch milliseconds. */
  readonly lastModified: number;
}

/**
 * Where raw, archived, quarantined and staged objects live: a local folder or an S3 bucket. Keys use `/`.
 * Writes are whole-object and atomic (a reader never sees half an object); `list` yields keys in ascending order.
 *
 * @example
 * const store = new FsObjectStore('./data');
 * await store.put('raw/telemetry/2025/11/25/20/a.ndjson.gz', bytes);
 * for await (const o of store.list('raw/')) console.log(o.key);
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  getStream(key: string): Promise<Readable>;
  /** Undefined when the object does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Copies an object; the destination is overwritten. */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Deleting a missing object is not an error (retries must be harmless). */
  delete(key: string): Promise<void>;
  /** A human-readable location for a key (`file:///...`, `s3://bucket/key`), for summaries and lineage. */
  describe(key: string): string;
}

/** Thrown by `get`/`getStream`/`copy` when the key does not exist. */
export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}
