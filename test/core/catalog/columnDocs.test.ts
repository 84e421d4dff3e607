import { describe, expect, it } from 'vitest';
import { columnComment, describeColumn } from '../../../src/core/catalog/columnDocs.js';
import { SignalCatalog } from '../../../src/core/catalog/SignalCatalog.js';
import { ColumnRegistry } from '../../../src/core/schema/ColumnRegistry.js';
import { FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import { generateSampleItems } from '../../../src/sample/generateSample.js';
import { flatten } from '../../support/flatten.js';

describe('describeColumn: what a column holds, from its name', () => {
  it.each([
    // name, origin, signal, field, unit (substring), classification
    ['event_id', 'fixed', undefined, undefined, undefined, 'internal'],
    ['vehicle_id', 'fixed', undefined, undefined, undefined, 'pii'],
    ['smartcar_user_id', 'fixed', undefined, undefined, undefined, 'pii'],
    ['_rescued_data', 'fixed', undefined, undefined, undefined, 'pii'],
    ['pipeline_sequence_number', 'pipeline', undefined, undefined, undefined, 'internal'],
    ['Charge_IsCharging', 'signal', 'charge-ischarging', 'value', undefined, 'internal'],
    [
      'TractionBattery_StateOfCharge_value',
      'signal',
      'tractionbattery-stateofcharge',
      'value',
      'given per row in TractionBattery_StateOfCharge_unit; documented: percent',
      'internal',
    ],
    [
      'TractionBattery_StateOfCharge_unit',
      'signal',
      'tractionbattery-stateofcharge',
      'unit',
      undefined,
      'internal',
    ],
    ['Location_PreciseLocation_latitude', 'signal', 'location-preciselocation', 'latitude', undefined, 'pii'],
    [
      'Location_PreciseLocation_longitude',
      'signal',
      'location-preciselocation',
      'longitude',
      undefined,
      'pii',
    ],
    [
      'Location_PreciseLocation_heading',
      'signal',
      'location-preciselocation',
      'heading',
      'degrees',
      'internal',
    ],
    ['VehicleIdentification_VIN', 'signal', 'vehicleidentification-vin', 'value', undefined, 'pii'],
    // An array kept as JSON text holds its items' fields: charge records carry the charger's location.
    ['Charge_ChargeRecords_values', 'signal', 'charge-chargerecords', 'values', undefined, 'pii'],
    ['Closure_Doors_r1c0_isLocked', 'signal', 'closure-doors', 'values[].isLocked', undefined, 'internal'],
    [
      'Charge_IsCharging__oem_updated_at',
      'signal',
      'charge-ischarging',
      'meta.oemUpdatedAt',
      'UTC timestamp',
      'internal',
    ],
    ['Oem_Thing_latitude', 'undocumented', undefined, undefined, undefined, 'pii'],
    ['Oem_Thing_colour', 'undocumented', undefined, undefined, undefined, 'internal'],
  ])('%s: %s, signal %s, field %s, unit %s, %s', (name, origin, signal, field, unit, classification) => {
    // Act
    const doc = describeColumn(name);

    // Assess
    expect(doc).toMatchObject({ name, origin, classification });
    expect(doc.signal).toBe(signal);
    expect(doc.field).toBe(field);
    if (unit) expect(doc.unit).toContain(unit);
    expect(doc.description.length).toBeGreaterThan(10);
  });

  it('documents every fixed column and every column the sample events create', () => {
    // Prepare
    const columns = new ColumnRegistry();
    for (const item of generateSampleItems({ vehicles: 10, events: 400, seed: 3 })) flatten(item, columns);

    // Act
    const docs = columns.all().map((c) => describeColumn(c.name));

    // Assess: only the sample's deliberately unknown signals (not in the catalog) are undocumented.
    expect(docs.filter((d) => d.origin === 'fixed' || d.origin === 'pipeline')).toHaveLength(
      FIXED_COLUMNS.length,
    );
    const undocumented = docs.filter((d) => d.origin === 'undocumented').map((d) => d.name.split('_'));
    expect(undocumented.length).toBeGreaterThan(0);
    for (const [group = '', name = ''] of undocumented) {
      expect(SignalCatalog.default().byGroupName(group, name), `${group}.${name}`).toBeUndefined();
    }
  });

  it('puts description, unit, signal and classification into one comment line', () => {
    expect(columnComment(describeColumn('Location_PreciseLocation_latitude'))).toBe(
      'Smartcar signal Location.PreciseLocation: latitude (number). ' +
        'Smartcar signal: location-preciselocation (latitude). Classification: pii.',
    );
  });
});
