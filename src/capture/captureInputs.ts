import { snapshotOrderKey } from '../core/model/orderKey.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import { RawObjectWriter } from './captureBatch.js';
import { inputLine, type ParsedInput } from './fromInputRecord.js';

/** One record read from an input file (or generated), with where it came from. */
export interface InputItem {
  readonly file: string;
  readonly position: number;
  readonly parsed: ParsedInput;
}

export interface CaptureInputsOptions<T extends InputItem = InputItem> {
  readonly rawPrefix: string;
  /** Records per raw object (the last one may hold fewer). */
  readonly chunkSize: number;
  /** When this input was taken: file input is a snapshot at this instant (src/core/model/orderKey.ts). */
  readonly snapshotTime: number;
  /** The n-th record's order key when the source has its own (a DynamoDB export); default: a file snapshot key. */
  readonly orderKey?: (record: T, n: number) => string;
  /** The raw objects' source label (default `local-file`). */
  readonly source?: string;
  /** Called after each raw object is written, with its key (awaited; the CLI's crash tests kill it here). */
  readonly onObject?: (key: string) => void | Promise<void>;
  /** Called after each record (progress). */
  readonly onRecord?: (records: number) => void;
  readonly shouldStop?: () => boolean;
}

export interface CaptureInputsResult {
  readonly records: number;
  readonly objects: number;
  readonly bytes: number;
  /** Inputs damaged part-way (a cut-off gzip...): their records before the damage were still captured. */
  readonly damaged: number;
}

/**
 * Input records -> raw objects, the use case behind `telemetry run --input` (and the bench and tests). The one
 * rule it adds is order: file input is a snapshot, so the n-th record gets the snapshot key (time, n), a later line
 * or a later run is newer, and any stream version outranks it.
 *
 * @example
 * const r = await captureInputs(readAll(files), store, { rawPrefix: 'raw/telemetry/', chunkSize: 5000, snapshotTime: Date.now() });
 */
export async function captureInputs<T extends InputItem>(
  input: AsyncIterable<T> | Iterable<T>,
  store: ObjectStore,
  options: CaptureInputsOptions<T>,
): Promise<CaptureInputsResult> {
  const orderKey =
    options.orderKey ?? ((_: T, n: number) => snapshotOrderKey('file', options.snapshotTime, n));
  const source = options.source ?? 'local-file';
  let records = 0;
  let objects = 0;
  let bytes = 0;
  let damaged = 0;
  // Each line goes into the object as it is read: memory holds one object's gzip bytes, not its records.
  let writer: RawObjectWriter | undefined;
  const flush = async (): Promise<void> => {
    const result = await writer?.put(store, { rawPrefix: options.rawPrefix, source });
    writer = undefined;
    if (!result) return;
    objects += 1;
    bytes += result.bytes;
    await options.onObject?.(result.key);
  };
  for await (const record of input) {
    records += 1;
    if ('damaged' in record.parsed) damaged += 1;
    writer ??= new RawObjectWriter();
    await writer.add(
      inputLine(record.parsed, {
        file: record.file,
        position: record.position,
        sequenceNumber: orderKey(record, records),
        now: options.snapshotTime,
      }),
    );
    if (writer.records >= options.chunkSize) await flush();
    options.onRecord?.(records);
    if (options.shouldStop?.()) break;
  }
  await flush();
  return { records, objects, bytes, damaged };
}
