import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, createGzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ExportRecord,
  readDynamoDbExport,
  readExportRecords,
} from '../../../src/adapters/fs/dynamoDbExport.js';
import { expandInputSources } from '../../../src/adapters/fs/expandInputSources.js';
import { tempDir } from '../../support/cli.js';
import { exportLines, tableItems, writeDynamoDbExport } from '../../support/dynamoDbExport.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function readAll(iterable: AsyncIterable<ExportRecord>): Promise<ExportRecord[]> {
  const out: ExportRecord[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

describe('a DynamoDB export folder (AWSDynamoDB/<export-id>/)', () => {
  it('is read through its manifests: the data files they list, every item, counts as the manifest says', async () => {
    // Prepare
    const items = tableItems(30, 1);
    const written = writeDynamoDbExport(join(tmp.path, 'plain'), {
      parts: [items.slice(0, 10), [], items.slice(10)],
    });
    // Act
    const exp = await readDynamoDbExport(join(written.dir, 'manifest-summary.json'));
    const records = await readAll(readExportRecords(exp));
    // Assess
    expect(exp).toMatchObject({
      dir: written.dir,
      exportId: written.exportId,
      exportTimeMs: Date.parse('2025-12-02T12:00:00.000Z'),
      itemCount: items.length,
    });
    expect(exp.files.map((f) => f.path)).toEqual(written.dataFiles);
    expect(exp.files.map((f) => f.itemCount)).toEqual([10, 0, items.length - 10]);
    expect(records).toHaveLength(items.length);
    expect(records[0]).toMatchObject({ fileIndex: 0, position: 1, parsed: { ok: true } });
    expect(records[0]?.file).toMatch(/^exports\/AWSDynamoDB\/.+\/data\/0000\w+\.json\.gz$/);
    expect(records.at(-1)?.fileIndex).toBe(2);
  });

  it('streams a data part line by line: its first item arrives before the part is fully written', async () => {
    // Prepare: the part is a named pipe fed in two steps; a reader that read the part whole would wait forever.
    const written = writeDynamoDbExport(join(tmp.path, 'fifo'), { parts: [tableItems(400, 2)] });
    const part = written.dataFiles[0] as string;
    rmSync(part);
    execFileSync('mkfifo', [part]);
    const lines = exportLines(tableItems(400, 2));
    const firstLineEnd = lines.indexOf('\n') + 1;
    const gzip = createGzip();
    gzip.pipe(createWriteStream(part));
    // Act
    const exp = await readDynamoDbExport(written.dir);
    const reader = readExportRecords(exp);
    gzip.write(lines.slice(0, firstLineEnd));
    gzip.flush(constants.Z_SYNC_FLUSH);
    const first = await reader.next();
    gzip.end(lines.slice(firstLineEnd));
    const rest = await readAll(reader);
    // Assess
    expect(lines.length).toBeGreaterThan(4_000_000); // a part of several MB of DynamoDB JSON
    expect(first.value).toMatchObject({ position: 1, parsed: { ok: true } });
    expect(1 + rest.length).toBe(written.itemCount);
  });

  it('refuses what it cannot read correctly, saying why', async () => {
    // Prepare
    const ion = writeDynamoDbExport(join(tmp.path, 'ion'), { parts: [tableItems(3, 3)] });
    const summary = JSON.parse(readFileSync(join(ion.dir, 'manifest-summary.json'), 'utf8'));
    writeFileSync(
      join(ion.dir, 'manifest-summary.json'),
      JSON.stringify({ ...summary, outputFormat: 'ION' }),
    );
    const wrongCount = writeDynamoDbExport(join(tmp.path, 'count'), { parts: [tableItems(3, 3)] });
    writeFileSync(
      join(wrongCount.dir, 'manifest-summary.json'),
      JSON.stringify({ ...summary, itemCount: 99 }),
    );
    // Act + Assess
    await expect(readDynamoDbExport(ion.dir)).rejects.toThrow(/outputFormat ION .*DYNAMODB_JSON/);
    await expect(readDynamoDbExport(wrongCount.dir)).rejects.toThrow(
      /summary itemCount 99, data files list 3/,
    );
    await expect(readDynamoDbExport(tmp.path)).rejects.toThrow(/not a DynamoDB export folder/);
  });

  it('is found inside --input folders: its manifests and parts are never read as events', async () => {
    // Prepare
    const root = join(tmp.path, 'mixed');
    const written = writeDynamoDbExport(root, { parts: [tableItems(5, 4)] });
    writeFileSync(join(root, 'events.ndjson'), '{"event_id":"x"}\n');
    writeFileSync(join(written.dir, 'data', 'stray.json.gz'), '');
    // Act
    const sources = await expandInputSources([root]);
    // Assess
    expect(sources.files).toEqual([join(root, 'events.ndjson')]);
    expect(sources.exports.map((e) => e.dir)).toEqual([written.dir]);
    expect(sources.unlisted).toEqual([join(written.dir, 'data', 'stray.json.gz')]);
  });
});
