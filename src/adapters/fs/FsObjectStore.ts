import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '../../ports/ObjectStore.js';

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * A local folder standing in for S3: keys are relative paths under `root`. Writes go to a temporary file and are
 * renamed into place, so a crash never leaves half an object under its real key.
 *
 * @example
 * const store = new FsObjectStore('./data');
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  #path(key: string): string {
    if (key.includes('\0') || key.split('/').some((p) => p === '..'))
      throw new Error(`invalid object key: ${key}`);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.#path(key));
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable> {
    const path = this.#path(key);
    if (!(await this.head(key))) throw new ObjectNotFoundError(key);
    return createReadStream(path);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtimeMs } : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the directory the prefix names (plus a name filter), not the whole root.
    const cut = prefix.lastIndexOf('/');
    const dirKey = cut >= 0 ? prefix.slice(0, cut) : '';
    const start = dirKey === '' ? this.root : this.#path(dirKey);
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.endsWith('.tmp')) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await walk(start);
    keys.sort();
    for (const key of keys) {
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const to = this.#path(toKey);
    await mkdir(dirname(to), { recursive: true });
    const tmp = `${to}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await copyFile(this.#path(fromKey), tmp);
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(fromKey);
      throw error;
    }
    await rename(tmp, to);
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  describe(key: string): string {
    return pathToFileURL(this.#path(key)).href;
  }
}
