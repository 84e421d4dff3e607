import { Readable } from 'node:stream';
import { SignalCatalog } from '../core/catalog/SignalCatalog.js';
import { errorMessage } from '../core/errors.js';
import { flattenEventCells } from '../core/flatten/flattenEvent.js';
import { ColumnRegistry } from '../core/schema/ColumnRegistry.js';
import type { ColumnType } from '../core/schema/ColumnType.js';
import type { ColumnDef } from '../core/schema/fixedColumns.js';
import { type CellColumns, type CellValue, CellWriter } from './CellColumns.js';
import { lineChange } from './lineChange.js';
import type { QuarantineLine } from './quarantineEntry.js';
import { DamagedObjectError, rawLines } from './readRawLines.js';

/** A raw object to flatten off the main thread, against the table's columns as the main thread knew them. */
export interface FlattenJob {
  readonly key: string;
  readonly body: Uint8Array;
  /** The main thread's `ColumnRegistry.all()` when the job was sent: positions below its length are shared. */
  readonly seed: readonly ColumnDef[];
  readonly quarantinePrefix: string;
}

/** A column resolution that went past the seed: the main thread repeats it and must get the same column. */
export interface ResolvedColumn {
  readonly segments: readonly string[];
  readonly name: string;
  readonly type: ColumnType;
  readonly column: ColumnDef;
  /** The column's position in the worker's registry (at or past the seed). */
  readonly index: number;
}

/**
 * An object's changes in line order, as plain and typed arrays (cheap to pass between threads). Upsert `i` has
 * the next `cellCount[i]` cells (column position, value) of `cells`, and resolved the columns
 * `touched[touchStart[i] .. touchStart[i+1])` (ids into `resolved`) past the seed, in the order flattening did.
 */
export interface FlattenedObject {
  readonly key: string;
  readonly seedSize: number;
  readonly lines: number;
  readonly kind: ('upsert' | 'delete')[];
  readonly eventId: string[];
  readonly sequenceNumber: string[];
  readonly cellCount: number[];
  readonly cells: CellColumns;
  readonly touchStart: number[];
  readonly touched: number[];
  readonly resolved: ResolvedColumn[];
  readonly skipped: [string, number][];
  readonly quarantine: [string, QuarantineLine][];
  /** How reading ended: every line read, decoding stopped at `byteOffset`, or flattening threw (a bug). */
  readonly end:
    | { readonly kind: 'read' }
    | { readonly kind: 'damaged'; readonly byteOffset: number; readonly cause: string }
    | { readonly kind: 'failed'; readonly message: string; readonly stack?: string };
}

/** Records every resolution that lands past the seed, per row, so the main thread can repeat exactly those. */
class TrackingRegistry extends ColumnRegistry {
  readonly resolved: ResolvedColumn[] = [];
  /** Requested name -> its resolutions by requested type (a name is almost always asked for with one type). */
  readonly #ids = new Map<string, { type: ColumnType; id: number }[]>();
  row: number[] = [];

  constructor(
    seed: readonly ColumnDef[],
    readonly seedSize: number,
  ) {
    super(seed);
  }

  override resolve(segments: readonly string[], name: string, type: ColumnType): ColumnDef {
    const column = super.resolve(segments, name, type);
    const index = this.indexOf(column.name) as number;
    if (index < this.seedSize) return column;
    let calls = this.#ids.get(name);
    if (calls === undefined) {
      calls = [];
      this.#ids.set(name, calls);
    }
    let call = calls.find((c) => c.type === type);
    if (call === undefined) {
      call = { type, id: this.resolved.length };
      calls.push(call);
      this.resolved.push({ segments: [...segments], name, type, column, index });
    }
    this.row.push(call.id);
    return column;
  }
}

/**
 * Flattens one raw object's lines the way {@link readObjectInto} does, without a batch: every upsert is flattened
 * (the main thread decides which win), rows become (column position, value) cells against a registry seeded with
 * the main thread's columns. Runs in a worker thread; pure apart from reading `body`.
 */
export async function flattenObject(
  job: FlattenJob,
  catalog = SignalCatalog.default(),
): Promise<FlattenedObject> {
  const columns = new TrackingRegistry(job.seed, job.seed.length);
  const cells = new CellWriter();
  const out: Omit<FlattenedObject, 'cells'> = {
    key: job.key,
    seedSize: job.seed.length,
    lines: 0,
    kind: [],
    eventId: [],
    sequenceNumber: [],
    cellCount: [],
    touchStart: [],
    touched: [],
    resolved: columns.resolved,
    skipped: [],
    quarantine: [],
    end: { kind: 'read' },
  };
  const skipped = new Map<string, number>();
  let lines = 0;
  let end: FlattenedObject['end'] = { kind: 'read' };
  try {
    for await (const line of rawLines(Readable.from([job.body]), job.key)) {
      lines += 1;
      const read = lineChange(line, lines, job.key, job.quarantinePrefix);
      if (read.kind === 'skip') {
        skipped.set(read.reason, (skipped.get(read.reason) ?? 0) + 1);
        continue;
      }
      if (read.kind === 'quarantine') {
        out.quarantine.push([read.key, read.entry]);
        continue;
      }
      const { change } = read;
      out.kind.push(change.kind);
      out.eventId.push(change.eventId);
      out.sequenceNumber.push(change.sequenceNumber);
      out.touchStart.push(out.touched.length);
      if (change.kind === 'delete') {
        out.cellCount.push(0);
        continue;
      }
      columns.row = out.touched;
      let row: ReturnType<typeof flattenEventCells>;
      try {
        // pipeline_processed_at is the batch's: the main thread sets it.
        row = flattenEventCells(
          change.item,
          { catalog, columns },
          {
            processedAt: 0,
            sourceFile: job.key,
            sequenceNumber: change.sequenceNumber,
          },
        );
      } catch (error) {
        end = {
          kind: 'failed',
          message: errorMessage(error),
          ...(error instanceof Error ? { stack: error.stack } : {}),
        };
        break;
      }
      for (let k = 0; k < row.names.length; k++) {
        cells.push(columns.indexOf(row.names[k] as string) as number, row.values[k] as CellValue);
      }
      out.cellCount.push(row.names.length);
    }
  } catch (error) {
    if (!(error instanceof DamagedObjectError)) throw error;
    end = { kind: 'damaged', byteOffset: error.byteOffset, cause: errorMessage(error.cause) };
  }
  out.touchStart.push(out.touched.length);
  out.skipped.push(...skipped);
  return { ...out, cells: cells.finish(), lines, end };
}
