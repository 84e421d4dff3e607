import { describe, expect, it } from 'vitest';
import { orderSource, snapshotOrderKey, streamOrderKey } from '../../../src/core/model/orderKey.js';
import { padSequence, SEQUENCE_WIDTH } from '../../../src/core/model/RawRecord.js';

describe('orderKey', () => {
  it('gives every source a fixed-width key that says where it came from', () => {
    // Prepare
    const keys = [
      streamOrderKey('49'),
      snapshotOrderKey('export', 1_764_676_000_000, 3),
      snapshotOrderKey('scan', 1_764_676_000_000, 3),
      snapshotOrderKey('file', 1_764_676_000_000, 3),
    ];
    // Act
    const sources = keys.map(orderSource);
    // Assess
    expect(keys.every((k) => k.length === SEQUENCE_WIDTH)).toBe(true);
    expect(sources).toEqual(['stream', 'export', 'scan', 'file']);
  });

  it('ranks any stream key, including keys written before sources existed, above any snapshot key', () => {
    // Prepare
    const oldStreamKey = padSequence('1'); // the smallest key an existing table can hold
    const latestSnapshot = snapshotOrderKey('scan', 9_999_999_999_999, 10n ** 24n - 1n);
    // Act
    const stream = [oldStreamKey, streamOrderKey('1'), streamOrderKey('9'.repeat(39))];
    // Assess: a plain string compare, as DuckDB and Delta do it
    for (const s of stream) expect(s > latestSnapshot).toBe(true);
    expect(orderSource(oldStreamKey)).toBe('stream');
  });

  it('orders snapshots by time, then position, and repeats itself for the same snapshot', () => {
    // Prepare
    const t = 1_764_676_000_000;
    // Act
    const earlier = snapshotOrderKey('export', t, 999);
    const later = snapshotOrderKey('file', t + 1, 1);
    // Assess
    expect(earlier < later).toBe(true);
    expect(snapshotOrderKey('scan', t, 1) < snapshotOrderKey('scan', t, 2)).toBe(true);
    expect(snapshotOrderKey('scan', t, 7)).toBe(snapshotOrderKey('scan', t, 7));
  });

  it.each([
    ['a 40-digit stream sequence', () => streamOrderKey('1'.repeat(40))],
    ['a negative time', () => snapshotOrderKey('scan', -1, 0)],
    ['a position too long', () => snapshotOrderKey('scan', 0, 10n ** 25n)],
  ])('refuses %s', (_name, make) => {
    expect(make).toThrow();
  });
});
