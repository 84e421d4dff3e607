import { Readable } from 'node:stream';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '../../ports/ObjectStore.js';

/** In-memory store for unit tests of the use cases; passes the same contract suite as the real stores. */
export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, { body: Uint8Array; lastModified: number }>();

  async put(key: string, body: Uint8Array): Promise<void> {
    this.#objects.set(key, { body: Uint8Array.from(body), lastModified: Date.now() });
  }

  async get(key: string): Promise<Uint8Array> {
    const o = this.#objects.get(key);
    if (!o) throw new ObjectNotFoundError(key);
    return o.body;
  }

  async getStream(key: string): Promise<Readable> {
    return Readable.from([Buffer.from(await this.get(key))]);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const o = this.#objects.get(key);
    return o ? { key, size: o.body.byteLength, lastModified: o.lastModified } : undefined;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    await this.put(toKey, await this.get(fromKey));
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(key);
  }

  describe(key: string): string {
    return `memory://${key}`;
  }
}
