import * as zlib from 'node:zlib';
import type { SchemaElement } from 'hyparquet-writer';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import type { ColumnType } from '../../core/schema/ColumnType.js';
import type { ColumnDef } from '../../core/schema/fixedColumns.js';
import type { RowValues } from '../../ports/TableSink.js';

type FileMetaData = Parameters<typeof writeMetadata>[1];
type ColumnChunk = FileMetaData['row_groups'][number]['columns'][number];

/** Rows per row group (as hyparquet-writer wrote them before): bounds what a reader holds per column chunk. */
const ROW_GROUP_ROWS = 100_000;
/** A data page is closed once its values reach this many bytes (uncompressed), as most writers do (1 MiB). */
const PAGE_BYTES = 1 << 20;
/** A run of at least this many equal definition levels is written as one RLE run instead of bit-packed. */
const MIN_RLE_RUN = 16;
const TWO_32 = 4294967296;
const MAGIC_WORD = 0x31524150; // "PAR1", little-endian
const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);
/** Node's native Zstandard (22.15+ and 23.8+; the Lambda runtime is 24): absent from older Node and its types. */
const zstd = (zlib as unknown as { zstdCompressSync?: (input: Uint8Array, options: object) => Buffer })
  .zstdCompressSync;
const ZSTD_LEVEL_1 = {
  params: { [(zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel ?? 100]: 1 },
};

export type ParquetCodec = 'SNAPPY' | 'ZSTD';
/**
 * ZSTD level 1 where Node has it: native, so faster than hyparquet-writer's JavaScript Snappy, and ~25% smaller
 * files on real batches (docs/performance.md). Spark/Databricks, DuckDB read both.
 */
export const DEFAULT_CODEC: ParquetCodec = zstd ? 'ZSTD' : 'SNAPPY';

function compressor(codec: ParquetCodec): (page: Uint8Array) => Uint8Array {
  if (codec === 'SNAPPY') return snappyCompress;
  if (!zstd) throw new Error(`Parquet codec ZSTD needs Node 22.15 or newer (this is ${process.version})`);
  const compress = zstd;
  return (page) => compress(page, ZSTD_LEVEL_1);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parquet physical/logical types that read back in Databricks as the table's types: BIGINT is INT64, DOUBLE is
 * DOUBLE, TIMESTAMP is INT64 microseconds adjusted to UTC (an instant), STRING is UTF-8 BYTE_ARRAY.
 */
export function schemaElement(name: string, type: ColumnType): SchemaElement {
  const base = { name, repetition_type: 'OPTIONAL' as const };
  switch (type) {
    case 'BOOLEAN':
      return { ...base, type: 'BOOLEAN' };
    case 'DOUBLE':
      return { ...base, type: 'DOUBLE' };
    case 'BIGINT':
      return { ...base, type: 'INT64' };
    case 'TIMESTAMP':
      return {
        ...base,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    case 'VARCHAR':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
  }
}

/** A growable byte buffer written at `pos` (a Buffer for its fast UTF-8 writer). */
class Bytes {
  buf: Buffer;
  view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.byteLength) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.byteLength * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  varint(n: number): void {
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
}

/**
 * Definition levels (1 = value, 0 = null) of `n` rows in the RLE/bit-packed hybrid at bit width 1: runs of
 * MIN_RLE_RUN or more equal levels (and a uniform tail) as RLE runs, the rest in bit-packed groups of 8 (the last
 * one padded with zeros; readers stop at the page's value count).
 */
function writeLevels(out: Bytes, levels: Uint8Array, n: number, runs: Int32Array): void {
  if (n === 0) return;
  // runs[i]: how many levels from i on equal levels[i]
  runs[n - 1] = 1;
  for (let i = n - 2; i >= 0; i--) runs[i] = levels[i] === levels[i + 1] ? (runs[i + 1] as number) + 1 : 1;
  const rle = (i: number): boolean => (runs[i] as number) >= MIN_RLE_RUN || i + (runs[i] as number) === n;
  out.ensure(n + 16);
  let i = 0;
  while (i < n) {
    if (rle(i)) {
      const run = runs[i] as number;
      out.varint(run * 2);
      out.buf[out.pos++] = levels[i] as number;
      i += run;
      continue;
    }
    let groups = 0;
    const start = i;
    do {
      i += 8;
      groups++;
    } while (i < n && !rle(i));
    out.ensure(groups + 16);
    out.varint(groups * 2 + 1);
    for (let g = 0; g < groups; g++) {
      let byte = 0;
      const base = start + g * 8;
      for (let b = 0; b < 8 && base + b < n; b++) byte |= (levels[base + b] as number) << b;
      out.buf[out.pos++] = byte;
    }
  }
}

function typeError(col: ColumnDef, expected: string, v: unknown): TypeError {
  return new TypeError(
    `Parquet column ${col.name} (${col.type}) expects ${expected}, got ${typeof v} ${String(v)}`,
  );
}

/**
 * Appends `v * scale` as one little-endian INT64: exact for any integer `v` (bigint arithmetic only where a
 * double is not exact); a fractional `v` is rounded to the nearest unit only when scaled (ms -> microseconds).
 */
function writeInt64(out: Bytes, v: number, scale: number, col: ColumnDef): void {
  const x = v * scale;
  if (Number.isSafeInteger(x)) {
    const hi = Math.floor(x / TWO_32);
    out.view.setUint32(out.pos, x - hi * TWO_32, true);
    out.view.setInt32(out.pos + 4, hi, true);
  } else {
    let big: bigint;
    if (Number.isInteger(v)) big = BigInt(v) * BigInt(scale);
    else if (scale !== 1 && Number.isFinite(x)) big = BigInt(Math.round(x));
    else throw typeError(col, scale === 1 ? 'an integer' : 'finite epoch milliseconds', v);
    if (big < INT64_MIN || big > INT64_MAX)
      throw new RangeError(`Parquet column ${col.name}: ${v} is out of INT64 range`);
    out.view.setBigInt64(out.pos, big, true);
  }
  out.pos += 8;
}

/** Appends a BIGINT given as its exact decimal text (one past what a double holds exactly) as one INT64. */
function writeInt64Text(out: Bytes, text: string, col: ColumnDef): void {
  let big: bigint;
  try {
    big = BigInt(text);
  } catch {
    throw typeError(col, 'an integer', text);
  }
  if (big < INT64_MIN || big > INT64_MAX)
    throw new RangeError(`Parquet column ${col.name}: ${text} is out of INT64 range`);
  out.view.setBigInt64(out.pos, big, true);
  out.pos += 8;
}

/** Appends one PLAIN BYTE_ARRAY: 4-byte length, then UTF-8 (ASCII copied inline, the rest by Buffer's encoder). */
function writeString(out: Bytes, s: string): void {
  const len = s.length;
  out.ensure(4 + len * 3);
  const buf = out.buf;
  const start = out.pos + 4;
  let p = start;
  for (let k = 0; k < len; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x80) {
      p = start + buf.write(s, start, 'utf8');
      break;
    }
    buf[p++] = c;
  }
  out.view.setUint32(out.pos, p - start, true);
  out.pos = p;
}

/** Buffers shared by the column chunks of one file, written one after the other. */
interface Scratch {
  /** The open page's values. */
  readonly values: Bytes;
  /** The page being compressed: levels then values. */
  readonly page: Bytes;
  /** 1 where row `i` of the row group has a value (all 0 between chunks). */
  readonly levels: Uint8Array;
  /** writeLevels' run lengths. */
  readonly runs: Int32Array;
  readonly compress: (page: Uint8Array) => Uint8Array;
}

/** One column chunk being written: one column of one row group, into pages (header, body, header, body...). */
class ColumnWriter {
  readonly values: Bytes;
  readonly levels: Uint8Array;
  readonly page: Bytes;
  readonly runs: Int32Array;
  readonly compress: (page: Uint8Array) => Uint8Array;
  readonly pages: Uint8Array[] = [];
  pageStart = 0;
  bits = 0;
  bitCount = 0;
  uncompressed = 0;
  compressed = 0;

  constructor(
    readonly col: ColumnDef,
    readonly j: number,
    scratch: Scratch,
  ) {
    this.values = scratch.values;
    this.levels = scratch.levels;
    this.page = scratch.page;
    this.runs = scratch.runs;
    this.compress = scratch.compress;
    this.values.pos = 0;
  }

  /** Closes the open page at row `end` of the row group: levels then values, compressed, behind a page header. */
  flushPage(end: number): void {
    const { values, page } = this;
    if (this.col.type === 'BOOLEAN' && this.bitCount % 8 !== 0) values.buf[values.pos++] = this.bits;
    const n = end - this.pageStart;
    page.pos = 4;
    writeLevels(page, this.levels.subarray(this.pageStart, end), n, this.runs);
    page.view.setUint32(0, page.pos - 4, true);
    page.ensure(values.pos);
    values.buf.copy(page.buf, page.pos, 0, values.pos);
    page.pos += values.pos;
    const raw = page.buf.subarray(0, page.pos);
    const body = this.compress(raw);
    const header = new ByteWriter(64);
    writePageHeader(header, {
      type: 'DATA_PAGE',
      uncompressed_page_size: raw.byteLength,
      compressed_page_size: body.byteLength,
      data_page_header: {
        num_values: n,
        encoding: 'PLAIN',
        definition_level_encoding: 'RLE',
        repetition_level_encoding: 'RLE',
      },
    });
    this.pages.push(header.getBytes(), body);
    this.uncompressed += header.offset + raw.byteLength;
    this.compressed += header.offset + body.byteLength;
    values.pos = 0;
    this.pageStart = end;
    this.bits = 0;
    this.bitCount = 0;
  }

  /**
   * Appends the values of rows [from, to) (the row group starts at row `groupFrom`), closing full pages. One loop
   * per type: the type is decided once per chunk, not once per value.
   */
  append(rows: readonly RowValues[], from: number, to: number, groupFrom: number): void {
    const { col, j, values, levels } = this;
    switch (col.type) {
      case 'VARCHAR':
        for (let r = from; r < to; r++) {
          const v = (rows[r] as RowValues)[j];
          if (v === null || v === undefined) continue;
          if (typeof v !== 'string') throw typeError(col, 'a string', v);
          levels[r - groupFrom] = 1;
          writeString(values, v);
          if (values.pos >= PAGE_BYTES) this.flushPage(r + 1 - groupFrom);
        }
        return;
      case 'DOUBLE':
        for (let r = from; r < to; r++) {
          const v = (rows[r] as RowValues)[j];
          if (v === null || v === undefined) continue;
          if (typeof v !== 'number') throw typeError(col, 'a number', v);
          levels[r - groupFrom] = 1;
          values.ensure(8);
          values.view.setFloat64(values.pos, v, true);
          values.pos += 8;
          if (values.pos >= PAGE_BYTES) this.flushPage(r + 1 - groupFrom);
        }
        return;
      case 'BIGINT':
      case 'TIMESTAMP': {
        const scale = col.type === 'TIMESTAMP' ? 1000 : 1;
        for (let r = from; r < to; r++) {
          const v = (rows[r] as RowValues)[j];
          if (v === null || v === undefined) continue;
          // A BIGINT past 2^53 arrives as its exact decimal text (flattening never rounds it to a double).
          const text = typeof v === 'string' && scale === 1;
          if (typeof v !== 'number' && !text)
            throw typeError(col, scale === 1 ? 'a number' : 'epoch milliseconds', v);
          levels[r - groupFrom] = 1;
          values.ensure(8);
          if (text) writeInt64Text(values, v as string, col);
          else writeInt64(values, v as number, scale, col);
          if (values.pos >= PAGE_BYTES) this.flushPage(r + 1 - groupFrom);
        }
        return;
      }
      case 'BOOLEAN':
        for (let r = from; r < to; r++) {
          const v = (rows[r] as RowValues)[j];
          if (v === null || v === undefined) continue;
          if (typeof v !== 'boolean') throw typeError(col, 'a boolean', v);
          levels[r - groupFrom] = 1;
          if (v) this.bits |= 1 << (this.bitCount & 7);
          if ((++this.bitCount & 7) === 0) {
            values.ensure(1);
            values.buf[values.pos++] = this.bits;
            this.bits = 0;
          }
        }
        return;
    }
  }

  /** Closes the chunk's last page and clears the shared levels for the next chunk. */
  finish(groupRows: number): void {
    if (this.pageStart < groupRows) this.flushPage(groupRows);
    this.levels.fill(0, 0, groupRows);
  }
}

const PHYSICAL = {
  VARCHAR: 'BYTE_ARRAY',
  BOOLEAN: 'BOOLEAN',
  DOUBLE: 'DOUBLE',
  BIGINT: 'INT64',
  TIMESTAMP: 'INT64',
} as const;

/**
 * Encodes rows as one Parquet file with exactly the given columns and types, every column OPTIONAL: values
 * PLAIN, definition levels RLE/bit-packed, pages compressed (ZSTD where Node has it, else Snappy), no statistics
 * or dictionaries. A writer for exactly these flat columns (page headers and footer use hyparquet-writer's
 * Thrift): several times faster than hyparquet-writer's general path, which spent its time on statistics,
 * dictionary trials and per-value conversions (docs/performance.md, "Parquet staging"). `rows[i][j]` is the
 * value of `columns[j]` (null, undefined or past the end: no value); TIMESTAMP values are epoch milliseconds.
 *
 * @example
 * const bytes = encodeParquet(rows, batch.columns);
 */
export function encodeParquet(
  rows: readonly RowValues[],
  columns: readonly ColumnDef[],
  codec: ParquetCodec = DEFAULT_CODEC,
): Uint8Array {
  const parts: Uint8Array[] = [MAGIC];
  let offset = MAGIC.byteLength;
  const groupRows = Math.min(rows.length, ROW_GROUP_ROWS);
  const scratch: Scratch = {
    values: new Bytes(64 * 1024),
    page: new Bytes(64 * 1024),
    levels: new Uint8Array(groupRows),
    runs: new Int32Array(groupRows),
    compress: compressor(codec),
  };
  const rowGroups: FileMetaData['row_groups'] = [];
  for (let from = 0; from < rows.length; from += ROW_GROUP_ROWS) {
    const to = Math.min(rows.length, from + ROW_GROUP_ROWS);
    const groupStart = offset;
    let groupBytes = 0n;
    const chunks = columns.map((col, j): ColumnChunk => {
      const w = new ColumnWriter(col, j, scratch);
      w.append(rows, from, to, from);
      w.finish(to - from);
      const chunkStart = offset;
      for (const p of w.pages) parts.push(p);
      offset += w.compressed;
      groupBytes += BigInt(w.uncompressed);
      return {
        file_offset: BigInt(chunkStart),
        meta_data: {
          type: PHYSICAL[col.type],
          encodings: ['PLAIN', 'RLE'],
          path_in_schema: [col.name],
          codec,
          num_values: BigInt(to - from),
          total_uncompressed_size: BigInt(w.uncompressed),
          total_compressed_size: BigInt(w.compressed),
          data_page_offset: BigInt(chunkStart),
        },
      };
    });
    rowGroups.push({
      columns: chunks,
      total_byte_size: groupBytes,
      num_rows: BigInt(to - from),
      file_offset: BigInt(groupStart),
      total_compressed_size: BigInt(offset - groupStart),
    });
  }
  const footer = new ByteWriter(64 * 1024);
  writeMetadata(footer, {
    version: 1,
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map((c) => schemaElement(c.name, c.type)),
    ],
    num_rows: BigInt(rows.length),
    row_groups: rowGroups,
    created_by: 'chargeminder-telemetry',
    metadata_length: 0, // not serialized: the length follows the footer
  });
  footer.appendUint32(MAGIC_WORD);
  parts.push(footer.getBytes());
  const file = new Uint8Array(offset + footer.offset);
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.byteLength;
  }
  return file;
}
