import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabricksError } from '../../../src/adapters/databricks/DatabricksError.js';
import { DatabricksHttp } from '../../../src/adapters/databricks/DatabricksHttp.js';
import { DatabricksVolumeStore } from '../../../src/adapters/databricks/DatabricksVolumeStore.js';
import { parseVolumePath } from '../../../src/config/databricksSettings.js';
import { objectStoreContract } from '../../ports/objectStoreContract.js';
import { DatabricksFake } from '../../support/databricksFake.js';

// Small directory pages so that `page_token` paging is exercised by every listing.
const fake = new DatabricksFake({ directoryPageSize: 2 });
let http: DatabricksHttp;
let volumes = 0;
beforeAll(async () => {
  await fake.start();
  http = new DatabricksHttp({
    host: fake.host,
    credentials: { kind: 'pat', token: fake.token },
    sleep: async () => undefined,
  });
});
afterAll(() => fake.stop());

/** A fresh volume (as CREATE VOLUME makes it) for each case. */
function freshVolume(): string {
  volumes += 1;
  mkdirSync(join(fake.volumesRoot, 'main', 'telemetry', `v${volumes}`), { recursive: true });
  return `/Volumes/main/telemetry/v${volumes}`;
}

objectStoreContract('DatabricksVolumeStore on the Files API (Databricks fake)', async () => ({
  store: new DatabricksVolumeStore(http, freshVolume()),
  cleanup: () => undefined,
}));

describe('DatabricksVolumeStore', () => {
  it('describes a key as the /Volumes path read_files reads, and stores it there through the Files API', async () => {
    // Prepare
    const volume = freshVolume();
    const store = new DatabricksVolumeStore(http, `${volume}/`);
    // Act
    await store.put('staged/b 1/rows-0.parquet', Buffer.from('x'));
    // Assess
    expect(store.describe('staged/b 1/rows-0.parquet')).toBe(`${volume}/staged/b 1/rows-0.parquet`);
    const puts = fake.calls(/^\/api\/2\.0\/fs\/files\//, 'PUT');
    expect(puts.at(-1)?.path).toBe(`/api/2.0/fs/files${volume}/staged/b%201/rows-0.parquet`);
  });

  it('retries a throttled upload, and names the volume, the grant and the doc when an upload is refused', async () => {
    // Prepare
    const volume = freshVolume();
    const store = new DatabricksVolumeStore(http, volume);
    fake.inject({ path: /\/fs\/files\/.*\/retry$/, status: 429, retryAfter: '0', count: 2 });
    // Act
    await store.put('retry', Buffer.from('ok'));
    const refused = new DatabricksVolumeStore(http, '/Volumes/main/telemetry/no_such_volume');
    // Assess
    expect(Buffer.from(await store.get('retry')).toString()).toBe('ok');
    await expect(refused.put('k', Buffer.from('x'))).rejects.toThrow(
      /cannot write to the volume \/Volumes\/main\/telemetry\/no_such_volume: does it exist, and does the principal have WRITE VOLUME on it\? \(see docs\/databricks\.md#from-a-laptop-stage-to-a-volume\): .*not found.*volume main\.telemetry\.no_such_volume/,
    );
    await expect(refused.put('k', Buffer.from('x'))).rejects.toBeInstanceOf(DatabricksError);
  });

  it('refuses a root that is not a volume path', () => {
    expect(() => new DatabricksVolumeStore(http, '/tmp/staging')).toThrow(/not a volume path/);
  });
});

describe('parseVolumePath', () => {
  it('takes /Volumes/<catalog>/<schema>/<volume>[/folders] without the trailing slash', () => {
    expect(parseVolumePath('/Volumes/main/telemetry/staging/')).toEqual({
      path: '/Volumes/main/telemetry/staging',
    });
    expect(parseVolumePath(' /Volumes/main/t/v/laptop ')).toEqual({ path: '/Volumes/main/t/v/laptop' });
  });

  it('names the problem with anything else', () => {
    expect(parseVolumePath('/Volumes/main/telemetry')).toHaveProperty(
      'problem',
      expect.stringMatching(/not a volume path/),
    );
    expect(parseVolumePath('s3://bucket/x')).toHaveProperty(
      'problem',
      expect.stringMatching(/not a volume path/),
    );
    expect(parseVolumePath('/Volumes/main//v/x')).toHaveProperty('problem', expect.stringMatching(/empty/));
    expect(parseVolumePath('/Volumes/main/s/v/../x')).toHaveProperty(
      'problem',
      expect.stringMatching(/'\.\.'/),
    );
  });
});
