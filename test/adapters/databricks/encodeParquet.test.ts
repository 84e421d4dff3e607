import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { encodeParquet } from '../../../src/adapters/databricks/encodeParquet.js';
import {
  isManifestKey,
  manifestKey,
  parseManifest,
} from '../../../src/adapters/databricks/StagedManifest.js';
import { stageBatch } from '../../../src/adapters/databricks/stageBatch.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import type { FlatRow } from '../../../src/core/flatten/flattenEvent.js';
import type { ColumnDef } from '../../../src/core/schema/fixedColumns.js';
import { rowValues } from '../../support/rowValues.js';

const COLUMNS: ColumnDef[] = [
  { name: 'event_id', type: 'VARCHAR' },
  { name: 'recorded_at', type: 'TIMESTAMP' },
  { name: 'vehicle_year', type: 'BIGINT' },
  { name: 'soc', type: 'DOUBLE' },
  { name: 'charging', type: 'BOOLEAN' },
  { name: 'températ`ure "x"', type: 'DOUBLE' },
];

const ROWS: FlatRow[] = [
  {
    event_id: 'a',
    recorded_at: Date.UTC(2025, 10, 25, 20, 0, 0, 123),
    vehicle_year: 2024,
    soc: 80,
    charging: true,
    'températ`ure "x"': -1.5,
  },
  { event_id: 'b', recorded_at: null, vehicle_year: Number.MAX_SAFE_INTEGER, soc: 0.1, charging: false },
  { event_id: 'ü名', recorded_at: 0 },
];

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('encodeParquet', () => {
  it('declares the table types: INT64 vs DOUBLE as declared, TIMESTAMP as a UTC-adjusted instant, UTF-8 strings', () => {
    const file = toArrayBuffer(encodeParquet(ROWS, COLUMNS));
    const schema = parquetSchema(parquetMetadata(file));
    const el = Object.fromEntries(schema.children.map((c) => [c.element.name, c.element]));
    expect(el.vehicle_year).toMatchObject({ type: 'INT64' });
    expect(el.vehicle_year?.logical_type).toBeUndefined();
    expect(el.soc).toMatchObject({ type: 'DOUBLE' });
    expect(el.charging).toMatchObject({ type: 'BOOLEAN' });
    expect(el.event_id).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    expect(el.recorded_at).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    });
    expect(schema.children.every((c) => c.element.repetition_type === 'OPTIONAL')).toBe(true);
  });

  it('reads back the same values (nulls for absent ones, exact big integers, millisecond instants)', async () => {
    const rows = await parquetReadObjects({ file: toArrayBuffer(encodeParquet(ROWS, COLUMNS)) });
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      event_id: 'a',
      recorded_at: new Date(Date.UTC(2025, 10, 25, 20, 0, 0, 123)),
      vehicle_year: 2024n,
      soc: 80,
      charging: true,
      'températ`ure "x"': -1.5,
    });
    expect(rows[1]).toMatchObject({ recorded_at: null, vehicle_year: BigInt(Number.MAX_SAFE_INTEGER) });
    expect(rows[2]).toMatchObject({ event_id: 'ü名', recorded_at: new Date(0), soc: null, charging: null });
  });

  it('writes a valid file with every column for an empty batch', async () => {
    const file = toArrayBuffer(encodeParquet([], COLUMNS));
    expect(parquetSchema(parquetMetadata(file)).children.map((c) => c.element.name)).toEqual(
      COLUMNS.map((c) => c.name),
    );
    expect(await parquetReadObjects({ file })).toEqual([]);
  });
});

describe('stageBatch', () => {
  it('writes parts and deletes before the manifest, under staged/batch-<id>/', async () => {
    const puts: string[] = [];
    const store = new (class extends MemoryObjectStore {
      override async put(key: string, body: Uint8Array): Promise<void> {
        puts.push(key);
        await super.put(key, body);
      }
    })();
    const staged = await stageBatch(
      store,
      {
        batchId: 'abc123',
        files: ['telemetry/2025/11/25/20/x.ndjson.gz'],
        columns: COLUMNS,
        newColumns: [COLUMNS[3] as ColumnDef],
        rows: rowValues(ROWS, COLUMNS),
        deletes: [{ eventId: 'gone', sequenceNumber: `${'0'.repeat(39)}9` }],
      },
      { stagedPrefix: 'staged/', rowsPerPart: 2, now: () => 0 },
    );
    expect(puts).toEqual([
      'staged/batch-abc123/part-00000.parquet',
      'staged/batch-abc123/part-00001.parquet',
      'staged/batch-abc123/deletes-00000.parquet',
      'staged/batch-abc123/manifest.json',
    ]);
    expect(staged.manifestKey).toBe(manifestKey('staged/', 'abc123'));
    expect(isManifestKey(staged.manifestKey)).toBe(true);
    expect(isManifestKey('staged/batch-abc123/part-00000.parquet')).toBe(false);
    const manifest = parseManifest(await store.get(staged.manifestKey));
    expect(manifest).toMatchObject({
      version: 1,
      batchId: 'abc123',
      rowCount: 3,
      deleteCount: 1,
      createdAt: '1970-01-01T00:00:00.000Z',
      parts: ['part-00000.parquet', 'part-00001.parquet'],
      deletes: 'deletes-00000.parquet',
      files: ['telemetry/2025/11/25/20/x.ndjson.gz'],
    });
    const deletes = await parquetReadObjects({
      file: toArrayBuffer(await store.get('staged/batch-abc123/deletes-00000.parquet')),
    });
    expect(deletes).toEqual([{ event_id: 'gone', sequence_number: `${'0'.repeat(39)}9` }]);
  });
});
