import type { FlatRow } from '../core/flatten/flattenEvent.js';

/** A cell's value: a flattened row's value (TIMESTAMPs are epoch milliseconds; a huge BIGINT is its exact text). */
export type CellValue = FlatRow[string];

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const TEXT = 4;

/**
 * Cells (column position, value) in typed arrays, each distinct text once: what a flattening worker hands to the
 * main thread. As JS arrays of values, an object's ~150 cells per event lived until the object was done, so each
 * collection of the worker's young generation copied them again, and the main thread got one heap object per
 * number and per repeated text; typed arrays are copied between threads as bytes and hold no heap objects.
 */
export interface CellColumns {
  readonly length: number;
  readonly index: Int32Array;
  readonly tag: Uint8Array;
  /** The number (tag NUMBER) or the position in `texts` (tag TEXT). */
  readonly number: Float64Array;
  readonly texts: readonly string[];
}

/** Appends cells; {@link finish} gives them as {@link CellColumns} sized to what was written. */
export class CellWriter {
  #length = 0;
  #index = new Int32Array(1024);
  #tag = new Uint8Array(1024);
  #number = new Float64Array(1024);
  readonly #texts: string[] = [];
  readonly #textIds = new Map<string, number>();

  get length(): number {
    return this.#length;
  }

  push(index: number, value: CellValue): void {
    const at = this.#length;
    if (at === this.#index.length) this.#grow();
    this.#index[at] = index;
    if (typeof value === 'number') {
      this.#tag[at] = NUMBER;
      this.#number[at] = value;
    } else if (typeof value === 'string') {
      let id = this.#textIds.get(value);
      if (id === undefined) {
        id = this.#texts.length;
        this.#texts.push(value);
        this.#textIds.set(value, id);
      }
      this.#tag[at] = TEXT;
      this.#number[at] = id;
    } else {
      this.#tag[at] = value === null ? NULL : value ? TRUE : FALSE;
    }
    this.#length = at + 1;
  }

  finish(): CellColumns {
    const n = this.#length;
    return {
      length: n,
      index: this.#index.slice(0, n),
      tag: this.#tag.slice(0, n),
      number: this.#number.slice(0, n),
      texts: this.#texts,
    };
  }

  #grow(): void {
    const size = this.#index.length * 2;
    const index = new Int32Array(size);
    index.set(this.#index);
    this.#index = index;
    const tag = new Uint8Array(size);
    tag.set(this.#tag);
    this.#tag = tag;
    const number = new Float64Array(size);
    number.set(this.#number);
    this.#number = number;
  }
}

/** The value of cell `k`. */
export function cellValue(cells: CellColumns, k: number): CellValue {
  switch (cells.tag[k]) {
    case NUMBER:
      return cells.number[k] as number;
    case TEXT:
      return cells.texts[cells.number[k] as number] as string;
    case TRUE:
      return true;
    case FALSE:
      return false;
    default:
      return null;
  }
}
