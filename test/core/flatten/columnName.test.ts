import { describe, expect, it } from 'vitest';
import { columnNameFor, MAX_BASE_LENGTH, oemUpdatedAtColumn } from '../../../src/core/flatten/columnName.js';
import { ColumnRegistry } from '../../../src/core/schema/ColumnRegistry.js';

const HASHED = /__h[0-9a-f]{8}$/;

describe('columnNameFor', () => {
  it.each([
    [['Charge', 'IsCharging'], 'Charge_IsCharging'],
    [['Location', 'PreciseLocation', 'latitude'], 'Location_PreciseLocation_latitude'],
    [['Odometer', 'TraveledDistance', 'value'], 'Odometer_TraveledDistance_value'],
    [['Wheel', 'Tires', 'r0c1', 'tirePressure'], 'Wheel_Tires_r0c1_tirePressure'],
  ])('%j -> %s', (segments, expected) => {
    expect(columnNameFor(segments)).toBe(expected);
  });

  it.each([
    ['quotes', ['Bad"Group', "it's"]],
    ['backticks', ['Group`; DROP TABLE x; --', 'Name']],
    ['spaces and dashes', ['OemExtras', 'OtaUpdate-Status', 'release notes']],
    ['unicode', ['Größe', 'Température']],
    ['underscores (could join ambiguously)', ['A_B', 'C']],
    ['empty segment', ['', 'Name']],
  ])('sanitises %s and adds a stable hash suffix', (_label, segments) => {
    const name = columnNameFor(segments);
    expect(name).toMatch(/^[A-Za-z0-9_]+$/);
    expect(name).toMatch(HASHED);
    expect(columnNameFor(segments)).toBe(name);
  });

  it('keeps paths that join to the same text apart', () => {
    expect(columnNameFor(['A_B', 'C'])).not.toBe(columnNameFor(['A', 'B_C']));
    expect(columnNameFor(['a-b'])).not.toBe(columnNameFor(['a_b']));
  });

  it('shortens 300-character names and keeps them distinct', () => {
    const a = columnNameFor(['G', 'x'.repeat(300)]);
    const b = columnNameFor(['G', `${'x'.repeat(299)}y`]);
    expect(a.length).toBeLessThanOrEqual(MAX_BASE_LENGTH);
    expect(a).not.toBe(b);
    expect(oemUpdatedAtColumn(a).length).toBeLessThanOrEqual(255);
  });

  it('never lets data take a fixed column name', () => {
    expect(columnNameFor(['event', 'id'])).toMatch(HASHED);
    expect(columnNameFor(['Event', 'ID'])).toMatch(HASHED);
  });
});

describe('ColumnRegistry', () => {
  it('gives a case-insensitive collision a hash suffix; first come keeps the plain name', () => {
    const registry = new ColumnRegistry();
    const first = registry.resolve(['Charge', 'IsCharging'], 'Charge_IsCharging', 'BOOLEAN');
    const second = registry.resolve(['charge', 'ischarging'], 'charge_ischarging', 'BOOLEAN');
    expect(first.name).toBe('Charge_IsCharging');
    expect(second.name).toMatch(/^charge_ischarging__h[0-9a-f]{8}$/);
    expect(registry.resolve(['Charge', 'IsCharging'], 'Charge_IsCharging', 'VARCHAR')).toBe(first);
  });

  it('keeps the existing table columns and their types', () => {
    const registry = new ColumnRegistry([{ name: 'Charge_IsCharging', type: 'BOOLEAN' }]);
    expect(registry.resolve(['Charge', 'IsCharging'], 'Charge_IsCharging', 'VARCHAR').type).toBe('BOOLEAN');
    expect(registry.added()).toEqual([]);
  });
});
