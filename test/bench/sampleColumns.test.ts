import { describe, expect, it } from 'vitest';
import { RowChecksum } from '../../bench/lib/sampleColumns.js';

describe('RowChecksum', () => {
  it('does not depend on row order', () => {
    // Prepare
    const rows = [
      ['a', 1, true, null],
      ['b', 2.5, false, 'x'],
      ['c', 1700000000000n, null, 'y'],
    ];
    const forward = new RowChecksum();
    const backward = new RowChecksum();

    // Act
    for (const r of rows) forward.add(r);
    for (const r of [...rows].reverse()) backward.add(r);

    // Assess
    expect(forward.hex()).toBe(backward.hex());
    expect(forward.rows).toBe(3);
  });

  it.each([
    ['a number and its bigint twin agree', [1700000000000], [1700000000000n], true],
    ['a string is not the number it spells', ['1'], [1], false],
    ['null is not the empty string', [null], [''], false],
    ['undefined reads as null', [undefined], [null], true],
    ['true is not the string true', [true], ['true'], false],
  ])('%s', (_name, a, b, same) => {
    const x = new RowChecksum();
    const y = new RowChecksum();
    x.add(a);
    y.add(b);
    expect(x.hex() === y.hex()).toBe(same);
  });
});
