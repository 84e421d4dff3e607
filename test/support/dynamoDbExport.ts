import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { generateSampleItems } from '../../src/sample/generateSample.js';

export interface ExportSpec {
  /** Items per data file (plain objects; written as DynamoDB JSON `{"Item": ...}` lines). */
  readonly parts: readonly (readonly Record<string, unknown>[])[];
  readonly exportId?: string;
  /** The export's point in time (ISO 8601). */
  readonly exportTime?: string;
  /** The export prefix chosen in the request (`s3Prefix`). */
  readonly prefix?: string;
}

export interface WrittenExport {
  /** `<root>/<prefix>/AWSDynamoDB/<export-id>` */
  readonly dir: string;
  readonly exportId: string;
  readonly dataFiles: readonly string[];
  readonly itemCount: number;
}

/** Sample items as a table holds them (what an export contains): one version per event_id. */
export function tableItems(events: number, seed: number): Record<string, unknown>[] {
  const byId = new Map<unknown, Record<string, unknown>>();
  for (const item of generateSampleItems({ vehicles: 5, events, seed })) byId.set(item.event_id, item);
  return [...byId.values()];
}

/** One `{"Item": ...}` line per item, as DynamoDB writes its export data files. */
export function exportLines(items: readonly Record<string, unknown>[]): string {
  return items
    .map((item) => `${JSON.stringify({ Item: marshall(item, { removeUndefinedValues: true }) })}\n`)
    .join('');
}

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest();

/**
 * Writes a DynamoDB export (ExportTableToPointInTime, DYNAMODB_JSON) in the layout AWS documents: `_started`,
 * `manifest-summary.json` (+ `.checksum`), `manifest-files.json` (NDJSON, one line per data file, + `.checksum`)
 * and `data/<name>.json.gz`.
 */
export function writeDynamoDbExport(root: string, spec: ExportSpec): WrittenExport {
  const exportId = spec.exportId ?? '01764676800000-a1b2c3d4';
  const prefix = spec.prefix ?? 'exports';
  const exportTime = spec.exportTime ?? '2025-12-02T12:00:00.000Z';
  const keyBase = `${prefix}/AWSDynamoDB/${exportId}`;
  const dir = join(root, keyBase);
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, '_started'), '');
  const fileLines: string[] = [];
  const dataFiles: string[] = [];
  spec.parts.forEach((items, i) => {
    const name = `${String(i).padStart(4, '0')}abcdefghijklmnopqrstuvwx.json.gz`;
    const body = gzipSync(exportLines(items));
    writeFileSync(join(dir, 'data', name), body);
    dataFiles.push(join(dir, 'data', name));
    fileLines.push(
      JSON.stringify({
        itemCount: items.length,
        md5Checksum: md5(body).toString('base64'),
        etag: `${md5(body).toString('hex')}-1`,
        dataFileS3Key: `${keyBase}/data/${name}`,
      }),
    );
  });
  const itemCount = spec.parts.reduce((n, p) => n + p.length, 0);
  const filesManifest = `${fileLines.join('\n')}\n`;
  writeFileSync(join(dir, 'manifest-files.json'), filesManifest);
  writeFileSync(join(dir, 'manifest-files.checksum'), md5(filesManifest).toString('hex'));
  const summary = JSON.stringify({
    version: '2020-06-30',
    exportArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/chargeminder-car-telemetry/export/${exportId}`,
    startTime: exportTime,
    endTime: exportTime,
    tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/chargeminder-car-telemetry',
    tableId: '12345a12-abcd-123a-ab12-1234abc12345',
    exportTime,
    s3Bucket: 'chargeminder-exports',
    s3Prefix: prefix,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${keyBase}/manifest-files.json`,
    billedSizeBytes: 0,
    itemCount,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
  });
  writeFileSync(join(dir, 'manifest-summary.json'), summary);
  writeFileSync(join(dir, 'manifest-summary.checksum'), md5(summary).toString('hex'));
  return { dir, exportId, dataFiles, itemCount };
}
