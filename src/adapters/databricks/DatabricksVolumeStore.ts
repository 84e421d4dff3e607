import { Readable } from 'node:stream';
import { ConfigError } from '../../core/errors.js';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '../../ports/ObjectStore.js';
import { DatabricksError } from './DatabricksError.js';
import type { DatabricksHttp } from './DatabricksHttp.js';

/** One entry of `GET /api/2.0/fs/directories{path}` (Files API 2.0, DirectoryEntry). */
interface DirectoryEntry {
  readonly path?: string;
  readonly name?: string;
  readonly is_directory?: boolean;
  readonly file_size?: number;
  /** Epoch milliseconds. */
  readonly last_modified?: number;
}

/** Percent-encodes each segment of a path, keeping its `/` (keys may hold spaces and non-ASCII characters). */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function notFound(error: unknown): boolean {
  return error instanceof DatabricksError && error.details.status === 404;
}

/**
 * Objects as files in a Unity Catalog volume through the Databricks Files API 2.0
 * (https://docs.databricks.com/api/workspace/files): the staging a workspace reads with `read_files` when there is
 * no S3 bucket, e.g. from a laptop. Keys are paths under the volume path; `describe(key)` is the `/Volumes/...` path
 * `read_files` reads. An upload is one whole-file PUT (the API creates missing parent folders); the API has no
 * copy, so `copy` downloads and uploads. Listing walks folders in key order, one page of at most 1000 entries at a
 * time.
 *
 * @example
 * const store = new DatabricksVolumeStore(http, '/Volumes/main/telemetry/staging');
 * await store.put('staged/b1/manifest.json', bytes); // PUT /api/2.0/fs/files/Volumes/main/telemetry/staging/staged/b1/manifest.json
 */
export class DatabricksVolumeStore implements ObjectStore {
  readonly root: string;

  /** `root`: a validated volume path (src/config/databricksSettings.ts `parseVolumePath`). */
  constructor(
    private readonly http: DatabricksHttp,
    root: string,
  ) {
    if (!root.startsWith('/Volumes/')) throw new ConfigError(`not a volume path: '${root}'`);
    this.root = root.replace(/\/+$/, '');
  }

  #files(key: string): string {
    return `/api/2.0/fs/files${encodePath(this.describe(key))}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    try {
      await this.http.requestBytes('PUT', this.#files(key), body, { query: { overwrite: 'true' } });
    } catch (error) {
      const status = error instanceof DatabricksError ? error.details.status : undefined;
      if (!(error instanceof DatabricksError) || (status !== 403 && status !== 404)) throw error;
      // The first upload is where a missing volume or grant shows: say which, in the volume's terms.
      throw new DatabricksError(
        `cannot write to the volume ${this.root}: does it exist, and does the principal have WRITE VOLUME on it? ` +
          `(see docs/databricks.md#from-a-laptop-stage-to-a-volume): ${error.message}`,
        error.details,
      );
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const response = await this.http.requestBytes('GET', this.#files(key));
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (notFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async getStream(key: string): Promise<Readable> {
    return Readable.from([Buffer.from(await this.get(key))]);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.http.requestBytes('HEAD', this.#files(key));
      const modified = Date.parse(response.headers.get('last-modified') ?? '');
      return {
        key,
        size: Number(response.headers.get('content-length') ?? 0),
        lastModified: Number.isNaN(modified) ? 0 : modified,
      };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf('/');
    yield* this.#walk(prefix.slice(0, slash + 1), prefix.slice(slash + 1));
  }

  /** Files under folder `dir` (a key prefix ending in `/`, or '') whose names start with `name`, in key order. */
  async *#walk(dir: string, name: string): AsyncGenerator<ObjectInfo> {
    const entries = await this.#listFolder(dir);
    // Key order: a folder sorts as its name followed by '/'.
    const sortName = (e: DirectoryEntry) => `${e.name ?? ''}${e.is_directory ? '/' : ''}`;
    const sorted = entries
      .filter((e) => (e.name ?? '').startsWith(name))
      .sort((a, b) => (sortName(a) < sortName(b) ? -1 : sortName(a) > sortName(b) ? 1 : 0));
    for (const e of sorted) {
      const key = dir + (e.name ?? '');
      if (e.is_directory) yield* this.#walk(`${key}/`, '');
      else yield { key, size: e.file_size ?? 0, lastModified: e.last_modified ?? 0 };
    }
  }

  /** Every entry of one folder, page by page; none when the folder does not exist. */
  async #listFolder(dir: string): Promise<DirectoryEntry[]> {
    const path = `/api/2.0/fs/directories${encodePath(this.describe(dir).replace(/\/$/, ''))}`;
    const out: DirectoryEntry[] = [];
    let pageToken: string | undefined;
    do {
      let page: { contents?: DirectoryEntry[]; next_page_token?: string };
      try {
        page = await this.http.request('GET', path, undefined, { query: { page_token: pageToken } });
      } catch (error) {
        if (notFound(error)) return out;
        throw error;
      }
      out.push(...(page.contents ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    await this.put(toKey, await this.get(fromKey));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.http.requestBytes('DELETE', this.#files(key));
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }

  /** The volume path `read_files` and the Files API take, e.g. `/Volumes/main/telemetry/staging/staged/b1/x`. */
  describe(key: string): string {
    return `${this.root}/${key}`;
  }
}
