import { padSequence, SEQUENCE_WIDTH } from './RawRecord.js';

/**
 * The one ordering rule across sources. Every version of an event carries an order key of {@link SEQUENCE_WIDTH}
 * characters, compared as a plain binary string in every engine (DuckDB, Spark/Delta): higher = newer.
 *
 * - stream: the DynamoDB stream sequence number, zero-padded (`0…`). Keys written before sources existed are all
 *   of this form, so an existing table's keys keep meaning "stream" and need no reload.
 * - snapshot sources (backfill export or scan, file input): `-` + 13-digit epoch ms of the snapshot + a source
 *   letter + a zero-padded position. `-` (0x2D) sorts before every digit, so a snapshot version never replaces a
 *   stream version and never outranks a stream tombstone, while a stream version always replaces it; between two
 *   snapshots the later one wins, and the same snapshot re-read yields the same keys (unchanged content).
 * - replay (archive, quarantine): the line keeps the key it was captured with.
 */
export type OrderSource = 'stream' | 'export' | 'scan' | 'file';

const SNAPSHOT_PREFIX = '-';
const SOURCE_LETTER = { export: 'e', scan: 's', file: 'f' } as const;
const LETTER_SOURCE: Record<string, OrderSource> = { e: 'export', s: 'scan', f: 'file' };
const MS_WIDTH = 13;
const POSITION_WIDTH = SEQUENCE_WIDTH - 1 - MS_WIDTH - 1;

/** A stream sequence number as an order key (must leave the first digit 0: DynamoDB's are far shorter). */
export function streamOrderKey(sequenceNumber: string | number | bigint): string {
  const key = padSequence(sequenceNumber);
  if (key[0] !== '0') throw new Error(`stream sequence number longer than ${SEQUENCE_WIDTH - 1} digits`);
  return key;
}

/**
 * A snapshot version's key: when the snapshot was taken (export time, scan start, run start) and a position that
 * keeps keys unique inside it (item index, segment and item, input line).
 */
export function snapshotOrderKey(
  source: Exclude<OrderSource, 'stream'>,
  snapshotMs: number,
  position: number | bigint,
): string {
  if (!Number.isSafeInteger(snapshotMs) || snapshotMs < 0 || String(snapshotMs).length > MS_WIDTH)
    throw new Error(`snapshot time must be epoch milliseconds, got ${snapshotMs}`);
  const p = String(position);
  if (!/^\d+$/.test(p) || p.length > POSITION_WIDTH)
    throw new Error(`snapshot position must be at most ${POSITION_WIDTH} digits, got ${p}`);
  return `${SNAPSHOT_PREFIX}${String(snapshotMs).padStart(MS_WIDTH, '0')}${SOURCE_LETTER[source]}${p.padStart(POSITION_WIDTH, '0')}`;
}

/** Where a key came from (`undefined` for text that is no order key). */
export function orderSource(key: string): OrderSource | undefined {
  if (key.length !== SEQUENCE_WIDTH) return undefined;
  if (/^0\d+$/.test(key)) return 'stream';
  const m = /^-(\d{13})([a-z])(\d+)$/.exec(key);
  return m ? LETTER_SOURCE[m[2] ?? ''] : undefined;
}
