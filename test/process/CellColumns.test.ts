import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CellValue, CellWriter, cellValue } from '../../src/process/CellColumns.js';

const anyCell = fc.tuple(
  fc.nat({ max: 5_000 }),
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.constantFrom('CHARGING', 'kWh', '', '-0'),
  ),
);

describe('CellColumns', () => {
  it('gives back every cell as written, across a thread hand-over (v8 serialization)', () => {
    fc.assert(
      fc.property(fc.array(anyCell, { maxLength: 3_000 }), (written) => {
        // Prepare
        const writer = new CellWriter();

        // Act
        for (const [index, value] of written) writer.push(index, value as CellValue);
        const cells = deserialize(serialize(writer.finish()));

        // Assess
        expect(cells.length).toBe(written.length);
        written.forEach(([index, value], k) => {
          expect(cells.index[k]).toBe(index);
          expect(Object.is(cellValue(cells, k), value)).toBe(true);
        });
      }),
    );
  });

  it('keeps each distinct text once', () => {
    // Prepare
    const writer = new CellWriter();

    // Act
    for (let k = 0; k < 1_000; k++) writer.push(k, k % 2 === 0 ? 'CHARGING' : 'kWh');
    const cells = writer.finish();

    // Assess
    expect(cells.texts).toEqual(['CHARGING', 'kWh']);
    expect(cellValue(cells, 999)).toBe('kWh');
  });
});
