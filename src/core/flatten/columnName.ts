import { createHash } from 'node:crypto';
import { FIXED_COLUMN_NAMES } from '../schema/fixedColumns.js';

/**
 * How a path of names from the data becomes a column name. The one place for naming rules:
 *
 * - clean segments (`[A-Za-z0-9]+`) are joined with `_`: `Location_PreciseLocation_latitude`;
 * - a segment with any other character is sanitised (`[^A-Za-z0-9_]` -> `_`) and the name gets a stable hash
 *   suffix `__h1234abcd` of the original path, so `a-b` and `a_b` never share a column;
 * - names longer than {@link MAX_BASE_LENGTH}, and names that case-insensitively equal a fixed column,
 *   are shortened / suffixed the same way.
 *
 * Clean names never contain `__`, so suffixed names cannot meet clean ones; the mapping is injective.
 */
export const MAX_BASE_LENGTH = 200;

const CLEAN_SEGMENT = /^[A-Za-z0-9]+$/;
const FIXED_LOWER = new Set([...FIXED_COLUMN_NAMES].map((n) => n.toLowerCase()));

/** Short stable hash of a path (8 hex chars of SHA-1 over the JSON of its segments). */
export function pathHash(segments: readonly string[], salt = ''): string {
  return createHash('sha1')
    .update(JSON.stringify(segments) + salt)
    .digest('hex')
    .slice(0, 8);
}

export function sanitizeSegment(segment: string): string {
  const s = segment.replace(/[^A-Za-z0-9_]/g, '_');
  return s.length > 0 ? s : '_';
}

export function withHash(name: string, segments: readonly string[], salt = ''): string {
  const head = name.length > MAX_BASE_LENGTH - 11 ? name.slice(0, MAX_BASE_LENGTH - 11) : name;
  return `${head}__h${pathHash(segments, salt)}`;
}

/** The naming rules themselves, unmemoised. */
function computeColumnName(segments: readonly string[]): string {
  const clean = segments.every((s) => CLEAN_SEGMENT.test(s));
  const name = clean ? segments.join('_') : segments.map(sanitizeSegment).join('_');
  if (!clean || name.length > MAX_BASE_LENGTH || FIXED_LOWER.has(name.toLowerCase())) {
    return withHash(name, segments);
  }
  return name;
}

/** A memo of names by path: a trie keyed by segment (exact: no joining, so no two paths can collide). */
interface NameNode {
  readonly next: Map<string, NameNode>;
  name?: string;
}

const NAME_CACHE_LIMIT = 50_000;
let nameRoot: NameNode = { next: new Map() };
let namesCached = 0;

/**
 * The column name for a path of segments (`[group, name, ...field path]`), by the rules above. Memoised: the same
 * few hundred paths recur on every event and naming each anew (regex tests, joins, hashes) was a hot spot. Bounded:
 * the memo is cleared when it grows past {@link NAME_CACHE_LIMIT} paths (odd data with ever-new keys).
 */
export function columnNameFor(segments: readonly string[]): string {
  let node = nameRoot;
  for (const segment of segments) {
    let child = node.next.get(segment);
    if (child === undefined) {
      child = { next: new Map() };
      node.next.set(segment, child);
    }
    node = child;
  }
  if (node.name === undefined) {
    if (namesCached >= NAME_CACHE_LIMIT) {
      nameRoot = { next: new Map() };
      namesCached = 0;
    }
    namesCached += 1;
    node.name = computeColumnName(segments);
  }
  return node.name;
}

/** The per-signal timestamp column: `{base}__oem_updated_at`. */
export function oemUpdatedAtColumn(base: string): string {
  return `${base}__oem_updated_at`;
}

/** A grid cell segment: `r{row}c{column}`. */
export function gridCellSegment(row: number, column: number): string {
  return `r${row}c${column}`;
}
