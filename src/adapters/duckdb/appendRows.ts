import { endianness } from 'node:os';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBType,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { ColumnType } from '../../core/schema/ColumnType.js';
import type { RowValues } from '../../ports/TableSink.js';

/** One appended column: where its value sits in a row (undefined: the column is NULL in every row). */
export interface AppendColumn {
  readonly at: number | undefined;
  readonly type: ColumnType;
}

const CHUNK_TYPES: Record<ColumnType, DuckDBType> = { BOOLEAN, DOUBLE, BIGINT, TIMESTAMP, VARCHAR };

/**
 * Appends rows a column at a time through DuckDB data chunks. A wide telemetry row is mostly NULL: appending value
 * by value made ~290 native calls per row (an appendNull per empty column); here a chunk's numbers, booleans and
 * NULLs are written into plain typed arrays and copied once per column, and only text crosses per value.
 * The caller flushes the appender. `rows` are appended in order; `keep` picks which (default all).
 */
export function appendRows(
  appender: DuckDBAppender,
  columns: readonly AppendColumn[],
  rows: readonly RowValues[],
  keep: (row: RowValues) => boolean = () => true,
): void {
  const capacity = duckdb.vector_size();
  const chunk = DuckDBDataChunk.create(columns.map((c) => CHUNK_TYPES[c.type]));
  const buffers = new ChunkBuffers(capacity);
  const picked: RowValues[] = [];
  const flush = (): void => {
    chunk.reset();
    chunk.rowCount = picked.length;
    columns.forEach((column, index) => {
      writeColumn(duckdb.data_chunk_get_vector(chunk.chunk, index), column, picked, buffers);
    });
    appender.appendDataChunk(chunk);
    picked.length = 0;
  };
  for (const row of rows) {
    if (!keep(row)) continue;
    picked.push(row);
    if (picked.length === capacity) flush();
  }
  if (picked.length > 0) flush();
}

/**
 * DuckDB keeps a string of at most 12 bytes inside its 16-byte `duckdb_string_t` (duckdb.h: a uint32 length, then
 * the bytes, zero-padded). Such strings (~50 of a telemetry row's ~60: units, states, makes) are written into one
 * buffer copied to the vector at once; only longer ones cross to the C API one by one (each a native call and a
 * UTF-8 conversion: most of the append's CPU). The length is written little-endian: on a big-endian machine every
 * string goes through the C API.
 */
const INLINE_BYTES = 12;
const STRING_T_BYTES = 16;
const INLINE_STRINGS = endianness() === 'LE';

/** Scratch arrays for one chunk, reused by every column. */
class ChunkBuffers {
  readonly doubles: Float64Array<ArrayBuffer>;
  readonly bigints: BigInt64Array<ArrayBuffer>;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly strings: Uint8Array<ArrayBuffer>;
  readonly validity: Uint8Array<ArrayBuffer>;

  constructor(capacity: number) {
    this.doubles = new Float64Array(capacity);
    this.bigints = new BigInt64Array(capacity);
    this.bytes = new Uint8Array(capacity);
    this.strings = new Uint8Array(capacity * STRING_T_BYTES);
    // DuckDB's validity mask: one bit per row in 64-bit words, least significant bit first (1 = valid).
    this.validity = new Uint8Array(Math.ceil(capacity / 64) * 8);
  }
}

function writeColumn(
  vector: duckdb.Vector,
  column: AppendColumn,
  rows: readonly RowValues[],
  buffers: ChunkBuffers,
): void {
  const { at, type } = column;
  const n = rows.length;
  const validity = buffers.validity;
  validity.fill(0xff);
  const value = (i: number): unknown => (at === undefined ? undefined : (rows[i] as RowValues)[at]);
  const isNull = (i: number, v: unknown): boolean => {
    if (v !== null && v !== undefined) return false;
    validity[i >> 3] = (validity[i >> 3] as number) & ~(1 << (i & 7));
    return true;
  };
  switch (type) {
    case 'VARCHAR': {
      const out = buffers.strings;
      out.fill(0, 0, n * STRING_T_BYTES);
      const long: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (isNull(i, v)) continue;
        if (typeof v !== 'string') throw mismatch(type, v);
        if (!INLINE_STRINGS || !inlineAscii(out, i * STRING_T_BYTES, v)) long.push(i);
      }
      // NULL and long (or non-ASCII) entries are zeros here: those strings are assigned after the copy, over them.
      duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * STRING_T_BYTES);
      for (const i of long) duckdb.vector_assign_string_element(vector, i, value(i) as string);
      break;
    }
    case 'DOUBLE': {
      const out = buffers.doubles;
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (isNull(i, v)) continue;
        if (typeof v !== 'number') throw mismatch(type, v);
        out[i] = v;
      }
      duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * 8);
      break;
    }
    case 'BIGINT':
    case 'TIMESTAMP': {
      // TIMESTAMP values are epoch milliseconds; DuckDB stores microseconds. A BIGINT past 2^53 arrives as its exact
      // decimal text (flattening never rounds it to a double).
      const out = buffers.bigints;
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (isNull(i, v)) continue;
        if (typeof v === 'number') out[i] = type === 'TIMESTAMP' ? BigInt(v) * 1000n : BigInt(v);
        else if (type === 'BIGINT' && typeof v === 'string') out[i] = BigInt(v);
        else throw mismatch(type, v);
      }
      duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * 8);
      break;
    }
    case 'BOOLEAN': {
      const out = buffers.bytes;
      for (let i = 0; i < n; i++) {
        const v = value(i);
        if (isNull(i, v)) continue;
        if (typeof v !== 'boolean') throw mismatch(type, v);
        out[i] = v ? 1 : 0;
      }
      duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n);
      break;
    }
  }
  // Written even without NULLs: a reused chunk's mask may still hold the previous chunk's.
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(n / 64) * 8);
}

/** Writes `text` as an inlined `duckdb_string_t` at `at` when it is ASCII of at most 12 bytes; false otherwise. */
function inlineAscii(out: Uint8Array, at: number, text: string): boolean {
  const length = text.length;
  if (length > INLINE_BYTES) return false;
  for (let k = 0; k < length; k++) {
    const c = text.charCodeAt(k);
    if (c > 0x7f) {
      out.fill(0, at, at + STRING_T_BYTES); // its UTF-8 bytes are the C API's to make (assigned after the copy)
      return false;
    }
    out[at + 4 + k] = c;
  }
  out[at] = length; // uint32 little-endian, below 256
  return true;
}

function mismatch(type: ColumnType, value: unknown): TypeError {
  return new TypeError(`a ${type} column cannot hold the ${typeof value} ${JSON.stringify(value)}`);
}
