import type { FieldKind } from '../catalog/SignalCatalog.js';

/** Logical column types; each sink maps them to its own SQL type names. */
export type ColumnType = 'BOOLEAN' | 'DOUBLE' | 'BIGINT' | 'VARCHAR' | 'TIMESTAMP';

export const COLUMN_TYPES: readonly ColumnType[] = ['BOOLEAN', 'DOUBLE', 'BIGINT', 'VARCHAR', 'TIMESTAMP'];

/** Arrays that are not grids (and documented arrays) are stored as compact JSON text. */
export function typeForKind(kind: FieldKind): ColumnType {
  switch (kind) {
    case 'boolean':
      return 'BOOLEAN';
    case 'number':
      return 'DOUBLE';
    case 'integer':
      return 'BIGINT';
    default:
      return 'VARCHAR';
  }
}

/** Type of an undocumented value. Numbers are DOUBLE: an integer today may be fractional tomorrow. */
export function inferType(value: unknown): ColumnType | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'BOOLEAN';
    case 'number':
      return 'DOUBLE';
    case 'string':
      return 'VARCHAR';
    default:
      return undefined;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An integer beyond 2^53 kept as its exact text (see `exactNumber`) still fits a BIGINT when within int64. Only
 * text that a double could not have held qualifies, so a string field never turns into a number by accident.
 */
function isExactInt64Text(value: unknown): boolean {
  if (typeof value !== 'string' || !/^-?[1-9]\d{15,18}$/.test(value)) return false;
  const n = BigInt(value);
  return n >= INT64_MIN && n <= INT64_MAX && !Number.isSafeInteger(Number(value));
}

/** Whether a scalar can be stored in a column of this type without loss. TIMESTAMP holds epoch ms. */
export function acceptsValue(type: ColumnType, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'BOOLEAN':
      return typeof value === 'boolean';
    case 'DOUBLE':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BIGINT':
      return typeof value === 'number' ? Number.isSafeInteger(value) : isExactInt64Text(value);
    case 'TIMESTAMP':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'VARCHAR':
      return typeof value === 'string';
  }
}
