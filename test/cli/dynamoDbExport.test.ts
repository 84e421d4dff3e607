import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
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
    expect(second.stdout).toMatch(/\d+ object\(s\) already loaded: the same input read again, not loaded twice/);
    expect(second.stdout).not.toContain('recovered');
    expect(afterSecond).toEqual(afterFirst);
  }, 180_000);

  it('says what is wrong with a folder that is no export', async () => {
    // Act
    const r = await cli(['backfill', '--export', tmp.path, '--data-dir', join(tmp.path, 'none')]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a DynamoDB export folder');
  });
});
