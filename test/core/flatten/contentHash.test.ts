import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash, type FlatRow } from '../../../src/core/flatten/flattenEvent.js';
import { PIPELINE_COLUMNS } from '../../../src/core/schema/fixedColumns.js';

/** The rule as first written (keys sorted as strings): digests already stored in tables must not change. */
function reference(row: FlatRow): string {
  let text = '';
  for (const k of Object.keys(row).sort()) {
    const v = row[k];
    if (v === null || PIPELINE_COLUMNS.has(k)) continue;
    text += typeof v === 'string' ? `${k}\u0000s${v}\u0001` : `${k}\u0000${String(v)}\u0001`;
  }
  return createHash('sha1').update(text).digest('hex');
}

const name = fc.oneof(
  fc.constantFrom(
    'event_id',
    'pipeline_sequence_number',
    'Charge_IsCharging',
    'charge_ischarging',
    'Zeta',
    'a',
    'A_b',
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
);
const value = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 20 }),
);

describe('contentHash', () => {
  it('equals the string-sorted rule for any row, whatever order its keys arrived in', () => {
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 40 }), (row) => {
        const reversed: FlatRow = Object.fromEntries(Object.entries(row).reverse());
        expect(contentHash(row)).toBe(reference(row));
        expect(contentHash(reversed)).toBe(reference(row));
      }),
      { numRuns: 500 },
    );
  });

  it('ignores pipeline columns and nulls', () => {
    // Prepare
    const row: FlatRow = { event_id: 'e1', Charge_IsCharging: true };
    // Act + Assess
    expect(contentHash({ ...row, pipeline_sequence_number: '9', Odometer: null })).toBe(contentHash(row));
  });
});
