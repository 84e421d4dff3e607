import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CODEC,
  encodeParquet,
  type ParquetCodec,
} from '../../../src/adapters/databricks/encodeParquet.js';
import {
  isManifestKey,
  manifestKey,
  parseManifest,
} from '../../../src/adapters/databricks/StagedManifest.js';
import { stageBatch } from '../../../src/adapters/databricks/stageBatch.js';
import { MemoryObjectStore } from '../../../src/adapters/memory/MemoryObjectStore.js';
import type { FlatRow } from '../../../src/core/flatten/flattenEvent.js';
import type { ColumnDef } from '../../../src/core/schema/fixedColumns.js';
import type { RowValues } from '../../../src/ports/TableSink.js';
import { rowValues } from '../../support/rowValues.js';

const COLUMNS: ColumnDef[] = [
  { name: 'event_id', type: 'VARCHAR' },
  { name: 'recorded_at', type: 'TIMESTAMP' },
  { name: 'vehicle_year', type: 'BIGINT' },
  { name: 'soc', type: 'DOUBLE' },
  { name: 'charging', type: 'BOOLEAN' },
  { name: 'températ`ure "x"', type: 'DOUBLE' },
];

const FLAT_ROWS: FlatRow[] = [
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

/** The same rows as values against COLUMNS. */
const ROWS: RowValues[] = rowValues(FLAT_ROWS, COLUMNS);

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Snappy everywhere; ZSTD where this Node has it (it is then the default, as on the Lambda's Node 24). */
const CODECS: ParquetCodec[] = DEFAULT_CODEC === 'ZSTD' ? ['SNAPPY', 'ZSTD'] : ['SNAPPY'];

describe('encodeParquet (read back by hyparquet, Snappy)', () => {
  it('declares the table types: INT64 vs DOUBLE as declared, TIMESTAMP as a UTC-adjusted instant, UTF-8 strings', () => {
    const file = toArrayBuffer(encodeParquet(ROWS, COLUMNS, 'SNAPPY'));
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
    const rows = await parquetReadObjects({ file: toArrayBuffer(encodeParquet(ROWS, COLUMNS, 'SNAPPY')) });
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

  it('writes a BIGINT past 2^53, which arrives as its exact text, as that exact INT64', async () => {
    // Prepare: what flattening makes of 9223372036854775807 (a double cannot hold it)
    const rows: RowValues[] = [['big', null, '9223372036854775807']];
    // Act
    const got = await parquetReadObjects({
      file: toArrayBuffer(encodeParquet(rows, COLUMNS.slice(0, 3), 'SNAPPY')),
    });
    // Assess
    expect(got).toEqual([{ event_id: 'big', recorded_at: null, vehicle_year: 9223372036854775807n }]);
    expect(() => encodeParquet([[null, null, '9223372036854775808']], COLUMNS.slice(0, 3))).toThrow(
      /vehicle_year: 9223372036854775808 is out of INT64 range/,
    );
  });

  it('writes a valid file with every column for an empty batch', async () => {
    const file = toArrayBuffer(encodeParquet([], COLUMNS, 'SNAPPY'));
    expect(parquetSchema(parquetMetadata(file)).children.map((c) => c.element.name)).toEqual(
      COLUMNS.map((c) => c.name),
    );
    expect(await parquetReadObjects({ file })).toEqual([]);
  });
});

const TYPES = ['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP'] as const;

/** A value of each type, as rows carry it (TIMESTAMP: epoch ms from year 1 to 9999). */
const VALUE = {
  VARCHAR: fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 40 })),
  BIGINT: fc.oneof(
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }).map((b) => Number(b)),
  ),
  DOUBLE: fc.double(),
  BOOLEAN: fc.boolean(),
  TIMESTAMP: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
} as const;

/** Which rows have a value: runs of present/absent rows (long runs, alternations, uniform tails). */
const presence = (n: number) =>
  fc
    .array(fc.record({ present: fc.boolean(), length: fc.integer({ min: 1, max: 40 }) }), { minLength: 1 })
    .map((runs) => {
      const out: boolean[] = [];
      for (let i = 0; out.length < n; i++) {
        const run = runs[i % runs.length] as { present: boolean; length: number };
        for (let k = 0; k < run.length && out.length < n; k++) out.push(run.present);
      }
      return out;
    });

/** Random columns (every type) and rows, absent values as null, undefined or past the end of the row. */
const batch = fc
  .record({
    types: fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 6 }),
    rowCount: fc.integer({ min: 0, max: 200 }),
  })
  .chain(({ types, rowCount }) =>
    fc
      .tuple(
        ...types.map((t) =>
          fc.tuple(
            presence(rowCount),
            fc.array(VALUE[t] as fc.Arbitrary<RowValues[number]>, {
              minLength: rowCount,
              maxLength: rowCount,
            }),
          ),
        ),
      )
      .map((cols) => {
        const columns: ColumnDef[] = types.map((type, j) => ({ name: `c${j} ${type}`, type }));
        const rows: RowValues[] = [];
        for (let i = 0; i < rowCount; i++) {
          const row: RowValues[number][] = cols.map(([present, values], j) =>
            present[i] ? values[i] : j % 2 === 0 ? null : undefined,
          );
          while (row.length > 0 && (row.at(-1) === null || row.at(-1) === undefined) && i % 3 === 0)
            row.pop();
          rows.push(row);
        }
        return { columns, rows };
      }),
  );

/** What a reader returns for a row value: integers as bigint, TIMESTAMP as microseconds, null for no value. */
function expected(rows: readonly RowValues[], columns: readonly ColumnDef[]): unknown[][] {
  return rows.map((row) =>
    columns.map((col, j) => {
      const v = row[j];
      if (v === null || v === undefined) return null;
      if (col.type === 'BIGINT') return BigInt(v as number);
      if (col.type === 'TIMESTAMP') return BigInt(v as number) * 1000n;
      return v;
    }),
  );
}

/** DuckDB (a second, independent Parquet reader) reads the file back: types and values. */
async function readWithDuckDb(file: Uint8Array): Promise<{ types: string[]; rows: unknown[][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'encode-parquet-'));
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const path = join(dir, 'part.parquet');
    writeFileSync(path, file);
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    const rows = reader
      .getRows()
      .map((row) => row.map((v) => (v !== null && typeof v === 'object' && 'micros' in v ? v.micros : v)));
    const types = reader.columnTypes().map((t) => t.toString());
    connection.closeSync();
    return { types, rows };
  } finally {
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(CODECS)('encodeParquet %s read back by DuckDB', (codec) => {
  it('declares the table types and its codec, and reads back every value, null and unicode name', async () => {
    // Act
    const file = encodeParquet(ROWS, COLUMNS, codec);
    const { types, rows } = await readWithDuckDb(file);

    // Assess
    expect(types).toEqual(['VARCHAR', 'TIMESTAMP WITH TIME ZONE', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DOUBLE']);
    expect(rows).toEqual(expected(ROWS, COLUMNS));
    const chunks = parquetMetadata(toArrayBuffer(file)).row_groups.flatMap((g) => g.columns);
    expect(new Set(chunks.map((c) => c.meta_data?.codec))).toEqual(new Set([codec]));
  });

  it('reads back random rows of every type with any pattern of absent values (and hyparquet agrees on Snappy)', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async ({ columns, rows }) => {
        // Act
        const file = encodeParquet(rows, columns, codec);
        const duck = await readWithDuckDb(file);

        // Assess
        const want = expected(rows, columns);
        expect(duck.rows).toEqual(want);
        if (codec !== 'SNAPPY') return;
        const hyp = await parquetReadObjects({ file: toArrayBuffer(file) });
        expect(
          hyp.map((row) =>
            columns.map((c) => {
              const v = row[c.name];
              return v instanceof Date ? BigInt(v.getTime()) * 1000n : v;
            }),
          ),
        ).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('splits pages past 1 MiB and row groups past 100,000 rows without losing a row', async () => {
    // Prepare: ~2.4 MB of strings (3 pages) in 100,001 rows (2 row groups), every 7th value absent
    const columns: ColumnDef[] = [
      { name: 's', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
    ];
    const rows: RowValues[] = Array.from({ length: 100_001 }, (_, i) =>
      i % 7 === 0 ? [null, i] : [`row ${i} ${'x'.repeat(i % 40)}`, i % 5 === 0 ? null : -i],
    );

    // Act
    const file = encodeParquet(rows, columns, codec);

    // Assess
    const metadata = parquetMetadata(toArrayBuffer(file));
    expect(metadata.row_groups.map((g) => g.num_rows)).toEqual([100_000n, 1n]);
    expect((await readWithDuckDb(file)).rows).toEqual(expected(rows, columns));
  });

  it('rejects a value of the wrong type or out of INT64 range with the column name, instead of writing it', () => {
    expect(() => encodeParquet([['a', 'not a number']], COLUMNS.slice(0, 3))).toThrow(
      /recorded_at \(TIMESTAMP\) expects epoch milliseconds, got string/,
    );
    expect(() => encodeParquet([[1]], COLUMNS.slice(0, 1))).toThrow(/event_id \(VARCHAR\) expects a string/);
    expect(() => encodeParquet([[null, null, 1.5]], COLUMNS.slice(0, 3))).toThrow(
      /vehicle_year \(BIGINT\) expects an integer/,
    );
    expect(() => encodeParquet([[null, null, 2 ** 64]], COLUMNS.slice(0, 3))).toThrow(
      /vehicle_year: 18446744073709552000 is out of INT64 range/,
    );
  });
});

it.skipIf(DEFAULT_CODEC === 'ZSTD')('refuses ZSTD with the reason where this Node has no Zstandard', () => {
  expect(() => encodeParquet(ROWS, COLUMNS, 'ZSTD')).toThrow(/ZSTD needs Node 22.15 or newer/);
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
        rows: ROWS,
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
    const deletes = await readWithDuckDb(await store.get('staged/batch-abc123/deletes-00000.parquet'));
    expect(deletes).toEqual({
      types: ['VARCHAR', 'VARCHAR'],
      rows: [['gone', `${'0'.repeat(39)}9`]],
    });
    const part = await readWithDuckDb(await store.get('staged/batch-abc123/part-00001.parquet'));
    expect(part.rows).toEqual(expected(ROWS.slice(2), COLUMNS));
  });
});
