import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalCatalog } from '../../../src/core/catalog/SignalCatalog.js';
import { contentHash, flattenEventCells } from '../../../src/core/flatten/flattenEvent.js';
import { toTelemetryItem } from '../../../src/core/model/TelemetryItem.js';
import { ColumnRegistry } from '../../../src/core/schema/ColumnRegistry.js';
import { FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import { allFixtures, readFixture } from '../../support/fixtures.js';
import { flatten, rescued } from '../../support/flatten.js';

describe('flattenEvent on the real deliveries in test/fixtures', () => {
  it.each(allFixtures().filter((f) => !f.endsWith('verify.json')))(
    '%s flattens with every fixed column typed',
    (file) => {
      const { row, columns } = flatten(readFixture(file));
      expect(row.event_id).toEqual(expect.any(String));
      for (const c of FIXED_COLUMNS) {
        const v = row[c.name];
        if (v === undefined || v === null) continue;
        if (c.type === 'VARCHAR') expect(typeof v).toBe('string');
        else if (c.type === 'BOOLEAN') expect(typeof v).toBe('boolean');
        else expect(Number.isFinite(v)).toBe(true);
      }
      for (const name of Object.keys(row)) expect(columns.get(name)?.name).toBe(name);
    },
  );

  it.each(allFixtures().filter((f) => !f.endsWith('verify.json')))(
    '%s: the cells list exactly the row, and the row hash is contentHash of the row',
    (file) => {
      // Prepare
      const item = toTelemetryItem(readFixture(file));
      if (item.kind !== 'item') return;
      const ctx = { catalog: SignalCatalog.default(), columns: new ColumnRegistry() };
      // Act
      const cells = flattenEventCells(item.item, ctx, {
        processedAt: 0,
        sourceFile: 't',
        sequenceNumber: '1',
      });
      // Assess: the same entries (each name once), and the same digest as hashing the row itself
      expect(new Set(cells.names).size).toBe(cells.names.length);
      expect(Object.fromEntries(cells.names.map((n, i) => [n, cells.values[i]]))).toEqual(cells.row);
      expect(cells.row.pipeline_content_hash).toBe(contentHash(cells.row));
    },
  );

  it('Polestar 2 (LIVE): scalars, grids, lists, nested arrays, errors, meta timestamps', () => {
    const { row } = flatten(readFixture('smartcar-live/polestar_2_all.json'));
    expect(row).toMatchObject({
      event_type: 'VEHICLE_STATE',
      vehicle_make: 'POLESTAR',
      vehicle_year: 2024,
      meta_mode: 'LIVE',
      meta_signal_count: 30,
      meta_delivered_at: 1769937943464,
      recorded_at: 1769937943464,
      Charge_IsCharging: true,
      Charge_Wattage_value: 4683,
      Charge_Wattage_unit: 'watts',
      Charge_IsCharging__oem_updated_at: 1769937933000,
      Location_PreciseLocation_latitude: 61.11111111111111,
      Location_PreciseLocation_locationType: 'LAST_PARKED',
      Odometer_TraveledDistance_value: 42506.3,
      Closure_Doors_r1c1_isLocked: true,
      Closure_Windows_r0c1_isOpen: false,
      Closure_Doors_rowCount: 2,
      Closure_FrontTrunk_isLocked: null,
      Charge_ChargeLimits_values: '[]',
      Charge_ChargeLimits_activeLimit: 90,
      VehicleIdentification_Packages_values: '["Performance","Pilot","Plus"]',
      TractionBattery_Range_additionalValues: '[]',
      TractionBattery_NominalCapacity_availableCapacities:
        '[{"capacity":82,"description":"Polestar vehicle - no description"}]',
      _rescued_data: null,
    });
    // Static attributes carry oemUpdatedAt 0: no fake 1970 timestamp.
    expect(row.VehicleIdentification_VIN__oem_updated_at).toBeUndefined();
    expect(JSON.parse(String(row.signal_errors))).toEqual({
      'charge-chargetimers': { type: 'SERVER', code: 'INTERNAL' },
    });
    expect(JSON.parse(String(row.triggers))).toHaveLength(8);
  });

  it('BYD Seal (LIVE): errors recorded, no value columns for errored signals', () => {
    const { row } = flatten(readFixture('smartcar-live/byd_seal_all.json'));
    expect(Object.keys(JSON.parse(String(row.signal_errors)))).toHaveLength(4);
    expect(row.InternalCombustionEngine_FuelLevel_value).toBeUndefined();
    expect(row).toMatchObject({ TractionBattery_StateOfCharge_value: 78, Closure_IsLocked: true });
  });

  it('VEHICLE_ERROR keeps its errors, per signal and verbatim', () => {
    const { row } = flatten(readFixture('smartcar-live/vw_id_4_error.json'));
    expect(row.event_type).toBe('VEHICLE_ERROR');
    const errors = JSON.parse(String(row.signal_errors));
    expect(errors['closure-islocked']).toEqual({ type: 'PERMISSION', code: null });
    expect(errors['vehicleidentification-nickname']).toEqual({
      type: 'COMPATIBILITY',
      code: 'VEHICLE_NOT_CAPABLE',
    });
    expect(JSON.parse(String(row.vehicle_errors))).toHaveLength(2);
    const broad = flatten(readFixture('smartcar-live/vw_id_4_broad_auth_error.json')).row;
    expect(JSON.parse(String(broad.signal_errors))).toEqual({ '*': { type: 'PERMISSION', code: null } });
  });

  it('the stored DynamoDB item (bodies as JSON strings)', () => {
    const { row } = flatten(readFixture('seed/dynamodb-item-example.json'));
    expect(row).toMatchObject({
      recorded_at: Date.UTC(2025, 10, 25, 20, 0, 0),
      car_timezone: 'America/Los_Angeles',
      record_type: 'ALL',
      Charge_IsCharging: true,
      Odometer_TraveledDistance_value: 12345.67,
      Odometer_TraveledDistance_unit: 'km',
    });
  });

  it('two signals claiming one column: the second value is rescued, not dropped', () => {
    const { row } = flatten(readFixture('smartcar-live/vw_id_4_fuel.json'));
    expect(row.InternalCombustionEngine_FuelLevel_value).toBe(0.77);
    expect(rescued(row)).toMatchObject({ InternalCombustionEngine_FuelLevel_value: 239 });
  });
});

const item = (signals: unknown[]) => ({ event_id: 'e1', signals });

describe('flattenEvent rules', () => {
  it('names come from the catalog, so a missing unit does not rename the value column', () => {
    const { row } = flatten(
      item([{ code: 'charge-timetocomplete', group: 'Charge', name: 'TimeToComplete', body: { value: 15 } }]),
    );
    expect(row.Charge_TimeToComplete_value).toBe(15);
    expect(row.Charge_TimeToComplete).toBeUndefined();
  });

  it('a type conflict goes to _rescued_data and the row still loads', () => {
    const columns = new ColumnRegistry([{ name: 'Charge_IsCharging', type: 'BOOLEAN' }]);
    const { row } = flatten(
      item([{ code: 'charge-ischarging', group: 'Charge', name: 'IsCharging', body: { value: 'yes' } }]),
      columns,
    );
    expect(row.Charge_IsCharging).toBeUndefined();
    expect(rescued(row)).toEqual({ Charge_IsCharging: 'yes' });
  });

  it('integer fields reject fractions into _rescued_data', () => {
    const { row } = flatten(
      item([{ code: 'charge-chargerphases', group: 'Charge', name: 'ChargerPhases', body: { value: 1.5 } }]),
    );
    expect(rescued(row)).toEqual({ Charge_ChargerPhases: 1.5 });
  });

  it('a body that is not JSON, or not an object, is rescued under the signal base name', () => {
    const { row } = flatten(
      item([
        { code: 'charge-ischarging', group: 'Charge', name: 'IsCharging', body: '{not json' },
        { code: 'charge-voltage', group: 'Charge', name: 'Voltage', body: 42 },
        'not a signal',
      ]),
    );
    expect(rescued(row)).toEqual({
      Charge_IsCharging: '{not json',
      Charge_Voltage: 42,
      'signals[2]': 'not a signal',
    });
  });

  it('unknown signals become new columns with inferred types (schema evolution)', () => {
    const { row, columns } = flatten(
      item([
        {
          code: 'x-new',
          group: 'Charge',
          name: 'BatteryTemperature',
          body: { value: 21.5, unit: 'celsius' },
        },
        { group: 'Oem', name: 'Flag', body: { value: true } },
        {
          group: 'Oem',
          name: 'Nested',
          body: { a: { b: 'deep' }, list: [1, 2], grid: [{ row: 0, column: 1, p: 2 }] },
        },
      ]),
    );
    expect(row).toMatchObject({
      Charge_BatteryTemperature_value: 21.5,
      Charge_BatteryTemperature_unit: 'celsius',
      Oem_Flag: true,
      Oem_Nested_a_b: 'deep',
      Oem_Nested_list: '[1,2]',
      Oem_Nested_grid_r0c1_p: 2,
    });
    expect(columns.added().map((c) => [c.name, c.type])).toContainEqual(['Oem_Flag', 'BOOLEAN']);
    expect(columns.get('Charge_BatteryTemperature_value')?.type).toBe('DOUBLE');
  });

  it('hostile names cannot escape identifiers', () => {
    const { row } = flatten(item([{ group: 'x"; DROP TABLE t; --', name: 'n`m', body: { 'k\'"': 1 } }]));
    const names = Object.keys(row).filter((k) => k.startsWith('x_'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^[A-Za-z0-9_]+$/);
  });

  it('a content hash ignores pipeline columns', () => {
    const a = flatten(readFixture('seed/dynamodb-item-example.json')).row;
    const b = flatten({ ...(readFixture('seed/dynamodb-item-example.json') as object) }).row;
    expect(a.pipeline_content_hash).toBe(b.pipeline_content_hash);
  });
});

describe('flattenEvent properties', () => {
  const segment = fc
    .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 })
    .filter((s) => s !== '__proto__');
  const leafKey = segment.filter((k) => k !== 'row' && k !== 'column');

  it('every scalar field of every SUCCESS signal lands in exactly one column with its value; no two paths share one', () => {
    let counter = 0;
    const unique = () => fc.constant(null).map(() => `v${counter++}`);
    const leaf = fc.oneof(
      unique(),
      fc.constant(null).map(() => 1_000_000 + counter++),
    );
    const body = fc.dictionary(
      leafKey,
      fc.oneof(
        leaf,
        fc.dictionary(leafKey, leaf, { minKeys: 1, maxKeys: 3 }),
        fc
          .uniqueArray(fc.tuple(fc.nat(3), fc.nat(3)), {
            minLength: 1,
            maxLength: 4,
            selector: ([r, c]) => `${r},${c}`,
          })
          .chain((cells) =>
            fc.tuple(
              ...cells.map(([row, column]) =>
                fc.dictionary(leafKey, leaf, { minKeys: 1, maxKeys: 2 }).map((f) => ({ ...f, row, column })),
              ),
            ),
          ),
      ),
      { minKeys: 1, maxKeys: 4 },
    );
    const signals = fc.uniqueArray(fc.record({ group: segment.map((g) => `Zz${g}`), name: segment, body }), {
      minLength: 1,
      maxLength: 5,
      selector: (s) => `${s.group}\u0000${s.name}`,
    });
    fc.assert(
      fc.property(signals, (sigs) => {
        const { row } = flatten(item(sigs));
        const leaves: unknown[] = [];
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object') {
            for (const [k, x] of Object.entries(v)) if (k !== 'row' && k !== 'column') walk(x);
          } else leaves.push(v);
        };
        for (const s of sigs) walk(s.body);
        const byValue = new Map<unknown, string[]>();
        for (const [col, v] of Object.entries(row)) byValue.set(v, [...(byValue.get(v) ?? []), col]);
        const used = new Set<string>();
        for (const leaf of leaves) {
          const cols = byValue.get(leaf) ?? [];
          expect(cols).toHaveLength(1);
          expect(used.has(cols[0] as string)).toBe(false);
          used.add(cols[0] as string);
        }
        expect(row._rescued_data).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe('flattenEvent is independent of key and signal order (DynamoDB does not keep map key order)', () => {
  it('same content, shuffled keys and signals: same JSON columns and content hash', () => {
    const original = readFixture('smartcar-live/polestar_2_all.json') as Record<string, unknown>;
    const shuffle = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(shuffle);
      if (v && typeof v === 'object')
        return Object.fromEntries(
          Object.entries(v)
            .reverse()
            .map(([k, x]) => [k, shuffle(x)]),
        );
      return v;
    };
    const data = original.data as Record<string, unknown>;
    const reordered = shuffle({
      ...original,
      data: { ...data, signals: [...(data.signals as unknown[])].reverse() },
    });
    const a = flatten(original).row;
    const b = flatten(reordered).row;
    expect(b.pipeline_content_hash).toBe(a.pipeline_content_hash);
    expect(b.triggers).toBe(a.triggers);
    expect(b.TractionBattery_NominalCapacity_availableCapacities).toBe(
      a.TractionBattery_NominalCapacity_availableCapacities,
    );
  });
});
