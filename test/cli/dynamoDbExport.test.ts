import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/dev/localAws.js';
import { startS3Server } from '../../src/dev/startS3Server.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { tableItems, writeDynamoDbExport } from '../support/dynamoDbExport.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A stream record as `aws dynamodbstreams get-records` prints it (its own SequenceNumber: a stream version). */
function streamLine(eventName: 'MODIFY' | 'REMOVE', item: Record<string, unknown>, seq: number): string {
  const keys = marshall({ event_id: item.event_id });
  return JSON.stringify({
    eventName,
    dynamodb: {
      SequenceNumber: String(seq),
      ApproximateCreationDateTime: 1764680000,
      Keys: keys,
      ...(eventName === 'MODIFY' ? { NewImage: marshall(item, { removeUndefinedValues: true }) } : {}),
    },
  });
}

// One part of several MB (DynamoDB JSON of ~17 KB per item), an empty part (an empty partition) and a small one.
const items = tableItems(420, 11);
const root = join(tmp.path, 'bucket-copy');
const written = writeDynamoDbExport(root, { parts: [items.slice(0, 380), [], items.slice(380)] });

describe('telemetry run --input <DynamoDB export>', () => {
  it('reads the data files the manifests list, streamed; no manifest is quarantined; counts match the manifest', async () => {
    // Prepare
    const dir = join(tmp.path, 'run');
    // Act
    const r = await cli(['run', '--input', root, '--data-dir', dir, '--json']);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.input).toMatchObject({ files: 0, records: items.length });
    expect(summary.input.exports).toEqual([
      expect.objectContaining({
        exportId: written.exportId,
        exportTime: '2025-12-02T12:00:00.000Z',
        dataFiles: 3,
        itemCount: items.length,
        items: items.length,
        reconciled: true,
      }),
    ]);
    expect(summary.process).toMatchObject({ records: items.length, inserted: items.length, quarantined: 0 });
    expect((await tableContent(join(dir, 'warehouse.duckdb'))).length).toBe(items.length);
  }, 120_000);

  it('says so when a data part is cut off: the items before the damage load, the rest is quarantined, exit 1', async () => {
    // Prepare
    const damaged = join(tmp.path, 'damaged');
    const exp = writeDynamoDbExport(damaged, { parts: [items.slice(0, 20), items.slice(20, 40)] });
    const part = exp.dataFiles[1] as string;
    writeFileSync(part, readFileSync(part).subarray(0, 600));
    // Act
    const r = await cli(['run', '--input', exp.dir, '--data-dir', join(tmp.path, 'damaged-run')]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /export .*: \d+\/40 items from 2 data file\(s\), MISMATCH: .*data\/0001\w+\.json\.gz read \d+ of 20/,
    );
  }, 60_000);
});

describe('telemetry backfill --export <folder>', () => {
  it('ingests an export below the stream: never replaces a stream version, never resurrects a deletion; twice = once', async () => {
    // Prepare: the stream already changed one event and deleted another (stream sequence numbers).
    const dir = join(tmp.path, 'backfill');
    const changed: Record<string, unknown> = { ...items[0], car_timezone: 'Europe/Oslo' };
    const deleted = items[1] as Record<string, unknown>;
    const stream = join(tmp.path, 'stream.ndjson');
    writeFileSync(stream, `${streamLine('MODIFY', changed, 900)}\n${streamLine('REMOVE', deleted, 901)}\n`);
    const streamed = await cli(['run', '--input', stream, '--data-dir', dir]);
    // Act
    const first = await cli(['backfill', '--export', written.dir, '--data-dir', dir, '--json']);
    const afterFirst = await tableContent(join(dir, 'warehouse.duckdb'));
    const second = await cli(['backfill', '--export', written.dir, '--data-dir', dir]);
    const afterSecond = await tableContent(join(dir, 'warehouse.duckdb'));
    // Assess
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.export).toMatchObject({ itemCount: items.length, items: items.length, reconciled: true });
    expect(summary.process).toMatchObject({
      records: items.length,
      inserted: items.length - 2,
      quarantined: 0,
    });
    expect(summary.process.skipped).toBe(2);
    expect(afterFirst).toHaveLength(items.length - 1);
    expect(afterFirst.find((row) => row.event_id === changed.event_id)?.car_timezone).toBe('Europe/Oslo');
    expect(afterFirst.some((row) => row.event_id === deleted.event_id)).toBe(false);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(
      `${items.length}/${items.length} items from 3 data file(s), matches the manifest`,
    );
    expect(second.stdout).toMatch(
      /\d+ object\(s\) already loaded: the same input read again, not loaded twice/,
    );
    expect(second.stdout).not.toContain('recovered');
    expect(afterSecond).toEqual(afterFirst);
  }, 180_000);

  it('reads an export straight from a bucket (s3://.../AWSDynamoDB/<export-id>/), copied first, streamed', async () => {
    // Prepare: the export uploaded to an S3-compatible server as DynamoDB writes it
    const serverDir = join(tmp.path, 's3-server');
    const server = await startS3Server({ directory: serverDir, buckets: ['exports-bucket'] });
    const client = new S3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const s3 = new S3ObjectStore({ bucket: 'exports-bucket', client });
    const prefix = `exports/AWSDynamoDB/${written.exportId}/`;
    for (const rel of readdirSync(written.dir, { recursive: true }).map(String).sort()) {
      const file = join(written.dir, rel);
      if (statSync(file).isFile()) await s3.put(`${prefix}${rel}`, readFileSync(file));
    }
    const dir = join(tmp.path, 'from-s3');
    try {
      // Act
      const r = await cli(
        ['backfill', '--export', `s3://exports-bucket/${prefix}`, '--data-dir', dir, '--json'],
        {
          TELEMETRY_S3_ENDPOINT: server.endpoint,
        },
      );
      // Assess
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        export: { exportId: written.exportId, items: items.length, reconciled: true },
        process: { inserted: items.length, quarantined: 0 },
      });
      expect(readdirSync(join(dir, 'backfill', 'export', written.exportId, 'data'))).toHaveLength(3);
    } finally {
      client.destroy();
      await server.stop();
    }
  }, 120_000);

  it('says what is wrong with a folder that is no export', async () => {
    // Act
    const r = await cli(['backfill', '--export', tmp.path, '--data-dir', join(tmp.path, 'none')]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a DynamoDB export folder');
  });
});
