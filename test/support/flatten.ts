import { SignalCatalog } from '../../src/core/catalog/SignalCatalog.js';
import { type FlatRow, flattenEvent } from '../../src/core/flatten/flattenEvent.js';
import { toTelemetryItem } from '../../src/core/model/TelemetryItem.js';
import { ColumnRegistry } from '../../src/core/schema/ColumnRegistry.js';

/** Flattens a payload (item or webhook) with a fresh column registry; returns the row and the registry. */
export function flatten(
  payload: unknown,
  columns = new ColumnRegistry(),
): { row: FlatRow; columns: ColumnRegistry } {
  const result = toTelemetryItem(payload);
  if (result.kind !== 'item') throw new Error(`expected an item, got skip: ${result.reason}`);
  const row = flattenEvent(
    result.item,
    { catalog: SignalCatalog.default(), columns },
    { processedAt: 0, sourceFile: 'test', sequenceNumber: '1' },
  );
  return { row, columns };
}

export function rescued(row: FlatRow): Record<string, unknown> {
  return row._rescued_data ? JSON.parse(String(row._rescued_data)) : {};
}
