import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectNotFoundError, type ObjectStore } from '../../src/ports/ObjectStore.js';

export interface StoreFixture {
  readonly store: ObjectStore;
  readonly cleanup: () => Promise<void> | void;
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

async function streamed(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.getStream(key)) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The ObjectStore contract: every adapter (memory, folder, S3 server) must pass the same cases. */
export function objectStoreContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let f: StoreFixture;
    let store: ObjectStore;
    beforeEach(async () => {
      f = await make();
      store = f.store;
    });
    afterEach(async () => {
      await f.cleanup();
    });

    it('returns exactly the bytes it was given, whole and streamed', async () => {
      const body = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x1f, 0x8b]);
      await store.put('raw/a.bin', body);
      expect(Buffer.from(await store.get('raw/a.bin'))).toEqual(body);
      expect(await streamed(store, 'raw/a.bin')).toEqual(body);
    });

    it('overwrites an object on put', async () => {
      await store.put('k.txt', Buffer.from('one'));
      await store.put('k.txt', Buffer.from('second'));
      expect(Buffer.from(await store.get('k.txt')).toString()).toBe('second');
      expect((await store.head('k.txt'))?.size).toBe(6);
    });

    it('reports a missing key as ObjectNotFoundError (get, getStream, copy) and undefined (head)', async () => {
      await expect(store.get('missing/x')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.getStream('missing/x')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.copy('missing/x', 'y')).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.head('missing/x')).toBeUndefined();
    });

    it('heads an object with its size and modification time', async () => {
      const before = Date.now() - 5_000;
      await store.put('h/o.json', Buffer.from('{"a":1}'), { contentType: 'application/json' });
      const info = await store.head('h/o.json');
      expect(info).toMatchObject({ key: 'h/o.json', size: 7 });
      expect(info?.lastModified).toBeGreaterThan(before);
    });

    it('lists keys under a prefix in ascending order, across directories and pages', async () => {
      const all = [
        'raw/telemetry/2025/11/25/21/b.gz',
        'raw/telemetry/2025/11/25/20/z.gz',
        'raw/telemetry/2025/11/25/20/a.gz',
        'raw/telemetry/2025/11/26/00/c.gz',
        'raw/other/x.gz',
        'archive/telemetry/2025/11/25/20/a.gz',
        'raw/telemetry/2025/12/01/00/d.gz',
        'raw/telemetry/2025/12/01/00/e.gz',
      ];
      for (const k of all) await store.put(k, Buffer.from(k));
      expect(await keys(store, 'raw/telemetry/')).toEqual([
        'raw/telemetry/2025/11/25/20/a.gz',
        'raw/telemetry/2025/11/25/20/z.gz',
        'raw/telemetry/2025/11/25/21/b.gz',
        'raw/telemetry/2025/11/26/00/c.gz',
        'raw/telemetry/2025/12/01/00/d.gz',
        'raw/telemetry/2025/12/01/00/e.gz',
      ]);
      expect(await keys(store, 'raw/tele')).toHaveLength(6); // a prefix need not end at a "/"
      expect(await keys(store, 'nothing/')).toEqual([]);
      const infos: { key: string; size: number }[] = [];
      for await (const o of store.list('archive/')) infos.push({ key: o.key, size: o.size });
      expect(infos).toEqual([{ key: 'archive/telemetry/2025/11/25/20/a.gz', size: 36 }]);
    });

    it('copies (overwriting the destination) and leaves the source in place', async () => {
      await store.put('raw/x.gz', Buffer.from('new'));
      await store.put('archive/x.gz', Buffer.from('old content'));
      await store.copy('raw/x.gz', 'archive/x.gz');
      expect(Buffer.from(await store.get('archive/x.gz')).toString()).toBe('new');
      expect(Buffer.from(await store.get('raw/x.gz')).toString()).toBe('new');
    });

    it('deletes, and deleting a missing key is not an error', async () => {
      await store.put('d/1', Buffer.from('1'));
      await store.delete('d/1');
      await store.delete('d/1');
      await store.delete('never/was');
      expect(await store.head('d/1')).toBeUndefined();
      expect(await keys(store, 'd/')).toEqual([]);
    });

    it('keeps keys with spaces and non-ASCII characters intact', async () => {
      const key = 'quarantine/ünïcode dir/file name €.ndjson';
      await store.put(key, Buffer.from('x'));
      await store.copy(key, `${key}.copy`);
      expect(await keys(store, 'quarantine/')).toEqual([key, `${key}.copy`]);
      expect(Buffer.from(await store.get(`${key}.copy`)).toString()).toBe('x');
    });

    it('describes a key with a location that names it', () => {
      expect(store.describe('raw/telemetry/a.gz')).toMatch(/raw\/telemetry\/a\.gz$/);
    });
  });
}
