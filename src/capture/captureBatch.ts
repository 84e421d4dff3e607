import { createGzip } from 'node:zlib';
import type { RawRecord } from '../core/model/RawRecord.js';
import { rawObjectKey } from '../core/model/rawObjectKey.js';
import type { ObjectStore } from '../ports/ObjectStore.js';

export interface CaptureOptions {
  /** e.g. `telemetry/` in S3, `raw/telemetry/` in the local data folder. */
  readonly rawPrefix: string;
  /** The stream shard the records came from (file input uses a fixed name). */
  readonly source: string;
}

export interface CaptureResult {
  readonly key: string;
  readonly records: number;
  readonly bytes: number;
}

/**
 * gzip level for raw objects. Measured on 10,000 bench records (97 MB of NDJSON): level 6 (zlib's default) 0.85 s
 * of CPU for 8.3 MB, level 3 0.44 s for 10.5 MB, level 1 0.38 s for 11.2 MB. Level 3: half the CPU, 27% larger.
 */
export const RAW_GZIP_LEVEL = 3;

/**
 * zlib's output buffers (its default is 16 KiB): a 10 MB object came out as ~640 allocations, freed together once
 * concatenated, which fragmented the heap the process shares with DuckDB's threads.
 */
const GZIP_OUT_BYTES = 256 * 1024;

/** Bytes handed to the gzip stream at a time: big enough to keep the zlib thread busy, small next to a batch. */
const CHUNK_BYTES = 1 << 20;

/**
 * Chunk buffers in use at once: zlib compresses some while this thread fills the next. Reused, because fresh ones
 * (~100 per 10,000 records) cost page faults and, as memory outside the JS heap, made V8 run full collections.
 */
const CHUNKS = 4;

/** A raw record already encoded as its NDJSON line, with what the object key and the logs need. */
export interface RawLine extends Pick<RawRecord, 'eventName' | 'sequenceNumber' | 'approximateCreationTime'> {
  /** The record as JSON text (no newline). */
  readonly text: string;
}

/**
 * Builds one raw object line by line: each line is written as UTF-8 straight into a chunk buffer (no string
 * concatenation: turning a long concatenated string into bytes cost more than the JSON encoding itself), and each
 * full chunk goes to zlib, which compresses on the libuv thread pool while this thread encodes the next lines.
 */
export class RawObjectWriter {
  private readonly gzip = createGzip({ level: RAW_GZIP_LEVEL, chunkSize: GZIP_OUT_BYTES });
  private readonly out: Buffer[] = [];
  private readonly done: Promise<void>;
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private chunks = 1;
  private readonly free: Buffer[] = [];
  private freed: (() => void) | undefined;
  /** The first and the last line added (they name the object). */
  first: RawLine | undefined;
  last: RawLine | undefined;
  /** Lines added so far. */
  records = 0;
  /** The earliest approximate creation time among them (Infinity while empty). */
  oldest = Number.POSITIVE_INFINITY;

  constructor() {
    this.gzip.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.done = new Promise<void>((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', reject);
    });
    this.done.catch(() => {}); // handled where it is awaited (a wait for a chunk or the body)
  }

  /** Adds a line; waits only when every chunk buffer is still with zlib. */
  async add(line: RawLine): Promise<void> {
    const text = line.text;
    const most = text.length * 3 + 1; // UTF-8 needs at most 3 bytes per UTF-16 unit, plus the newline
    if (this.used + most > this.chunk.length) {
      this.send();
      this.chunk = most > CHUNK_BYTES ? Buffer.allocUnsafe(most) : await this.nextChunk();
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
    this.chunk[this.used++] = 0x0a;
    this.first ??= line;
    this.last = line;
    this.records += 1;
    if (line.approximateCreationTime < this.oldest) this.oldest = line.approximateCreationTime;
  }

  /** Hands the filled part of the current chunk to zlib, which gives a pooled chunk back once it has read it. */
  private send(): void {
    if (this.used === 0) return;
    const chunk = this.chunk;
    this.gzip.write(chunk.subarray(0, this.used), () => {
      if (chunk.length !== CHUNK_BYTES) return; // a line's own buffer: not pooled
      this.free.push(chunk);
      this.freed?.();
    });
    this.used = 0;
  }

  private async nextChunk(): Promise<Buffer> {
    while (this.free.length === 0 && this.chunks >= CHUNKS) {
      await Promise.race([new Promise<void>((resolve) => (this.freed = resolve)), this.done]);
    }
    const chunk = this.free.pop();
    if (chunk) return chunk;
    this.chunks += 1;
    return Buffer.allocUnsafe(CHUNK_BYTES);
  }

  /** The gzip bytes of every line added (the writer is finished after this). */
  async body(): Promise<Buffer> {
    this.send();
    this.gzip.end();
    await this.done;
    return Buffer.concat(this.out);
  }

  /**
   * Stage 1: writes the lines as ONE gzip NDJSON object, keyed by source and first and last sequence number.
   * Capture never judges content (that is process's job, where bad records are quarantined); it only has to be
   * durable and idempotent. Nothing is written for no lines.
   */
  async put(store: ObjectStore, options: CaptureOptions): Promise<CaptureResult | undefined> {
    if (!this.first || !this.last) {
      this.gzip.destroy(); // nothing to write: release zlib's memory now
      return undefined;
    }
    const key = rawObjectKey(options.rawPrefix, options.source, [this.first, this.last]);
    const body = await this.body();
    await store.put(key, body, { contentType: 'application/x-ndjson' });
    return { key, records: this.records, bytes: body.byteLength };
  }
}

/** Writes lines already encoded (see {@link RawObjectWriter.put}). */
export async function captureLines(
  lines: Iterable<RawLine>,
  store: ObjectStore,
  options: CaptureOptions,
): Promise<CaptureResult | undefined> {
  const writer = new RawObjectWriter();
  for (const line of lines) await writer.add(line);
  return writer.put(store, options);
}

/**
 * Stage 1 for records as objects: writes them as ONE gzip NDJSON object, one `JSON.stringify` line each
 * (see {@link RawObjectWriter.put}).
 *
 * @example
 * const { key } = await captureBatch(records, store, { rawPrefix: 'telemetry/', source: 'stream-label' });
 */
export async function captureBatch(
  records: readonly RawRecord[],
  store: ObjectStore,
  options: CaptureOptions,
): Promise<CaptureResult | undefined> {
  const writer = new RawObjectWriter();
  for (const r of records) {
    const { eventName, sequenceNumber, approximateCreationTime } = r;
    await writer.add({ eventName, sequenceNumber, approximateCreationTime, text: JSON.stringify(r) });
  }
  return writer.put(store, options);
}
