import { describe, expect, it } from 'vitest';
import { SignalCatalog } from '../../../src/core/catalog/SignalCatalog.js';

describe('SignalCatalog', () => {
  const catalog = SignalCatalog.default();

  it('holds the 93 documented signals', () => {
    expect(catalog.size).toBe(93);
  });

  it.each([
    ['charge-ischarging', true],
    ['odometer-traveleddistance', false],
    ['location-preciselocation', false],
    ['vehicleidentification-packages', false],
  ])('%s is value-only: %s', (code, valueOnly) => {
    expect(catalog.byCode(code)?.valueOnly).toBe(valueOnly);
  });

  it('knows the grids (doors, windows, tires) from their documented row/column fields', () => {
    const grids = [...catalog.all()].filter((d) => d.gridArrays.size > 0).map((d) => d.code);
    expect(grids.sort()).toEqual(['closure-doors', 'closure-windows', 'wheel-tires']);
  });

  it('looks up by code first, then by group and name', () => {
    expect(catalog.lookup({ code: 'charge-wattage' })?.name).toBe('Wattage');
    expect(catalog.lookup({ code: 'unknown', group: 'Charge', name: 'Voltage' })?.code).toBe(
      'charge-voltage',
    );
    expect(catalog.lookup({ code: 'nope', group: 'Nope', name: 'Nope' })).toBeUndefined();
  });
});
