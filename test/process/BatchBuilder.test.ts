import { describe, expect, it } from 'vitest';
import { SignalCatalog } from '../../src/core/catalog/SignalCatalog.js';
import { ColumnRegistry } from '../../src/core/schema/ColumnRegistry.js';
import { BatchBuilder } from '../../src/process/BatchBuilder.js';
import { event } from '../support/pipeline.js';

function upsert(id: string, seq: number, extra: Record<string, unknown> = {}) {
  const item = event(id, seq, extra) as { event_id: string; signals: unknown[] };
  return { kind: 'upsert' as const, eventId: id, sequenceNumber: String(seq).padStart(4, '0'), item };
}

const odd = { signals: [{ group: 'Odd', name: 'Reading', body: '{"value":"high"}' }] };

describe('BatchBuilder.build', () => {
  it.each([
    ['uses every column the table has', []],
    [
      'leaves out the table columns none of its rows has a value in',
      [{ name: 'Unused_Column', type: 'DOUBLE' }],
    ],
  ] as const)('gives rows as values against the batch columns when the batch %s', (_, existing) => {
    // Prepare
    const columns = new ColumnRegistry(existing);
    const batch = new BatchBuilder({ catalog: SignalCatalog.default(), columns }, 7);
    batch.add(upsert('a', 41), 'f1');
    batch.add(upsert('b', 42, odd), 'f1');

    // Act
    const built = batch.build(columns.takeAdded());

    // Assess
    const names = built.columns.map((c) => c.name);
    const value = (row: number, name: string) => built.rows[row]?.[names.indexOf(name)];
    expect(names).not.toContain('Unused_Column');
    expect(built.rows.map((_, i) => value(i, 'event_id'))).toEqual(['a', 'b']);
    expect(built.rows.map((_, i) => value(i, 'TractionBattery_StateOfCharge_value'))).toEqual([
      41,
      undefined,
    ]); // b's signals are Odd's only
    expect(built.rows.map((_, i) => value(i, 'Odd_Reading'))).toEqual([undefined, 'high']);
    expect(built.rows.map((_, i) => value(i, 'pipeline_processed_at'))).toEqual([7, 7]);
  });
});
