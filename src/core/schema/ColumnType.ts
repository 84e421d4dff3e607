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

/** Whether a scalar can be stored in a column of this type without loss. TIMESTAMP holds epoch ms. */
export function acceptsValue(type: ColumnType, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'BOOLEAN':
      return typeof value === 'boolean';
    case 'DOUBLE':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BIGINT':
    case 'TIMESTAMP':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'VARCHAR':
      return typeof value === 'string';
  }
}
