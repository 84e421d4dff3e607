import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { DUCKDB_TYPES, quoteIdent } from '../../../src/adapters/duckdb/duckDbSql.js';
import { FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import { cli, tempDir } from '../../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

type Signal = { code: string; body: Record<string, unknown> };
const event = (id: string, vehicle: string, recordedAt: string | null, signals: Signal[]) =>
  JSON.stringify({
    event_id: id,
    ...(recordedAt ? { recorded_at: recordedAt } : {}),
    vehicle: { id: vehicle, make: 'POLESTAR' },
    signals,
  });
const soc = (value: number): Signal => ({
  code: 'tractionbattery-stateofcharge',
  body: { value, unit: 'percent' },
});
const charging = (value: boolean): Signal => ({ code: 'charge-ischarging', body: { value } });
const location = (latitude: number, longitude: number): Signal => ({
  code: 'location-preciselocation',
  body: { latitude, longitude },
});

async function query(warehouse: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(warehouse, { access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

describe('the DuckDB table explains itself', () => {
  const data = join(tmp.path, 'data');
  const warehouse = join(data, 'warehouse.duckdb');

  it('car_latest_state: per vehicle the latest non-null value of each signal column and when it was observed', async () => {
    // Prepare: events out of order; e3 is the oldest though loaded last; e5 has no recorded_at (cannot be placed).
    // Computed by hand: veh-A soc 60 (e2, 11:00), charging true and location (e1, 10:00); veh-B charging true (e4b).
    const input = join(tmp.path, 'events.ndjson');
    writeFileSync(
      input,
      [
        event('e1', 'veh-A', '2026-12-01T10:00:00Z', [soc(50), charging(true), location(59.3, 18.1)]),
        event('e2', 'veh-A', '2026-12-01T11:00:00Z', [soc(60)]),
        event('e4', 'veh-B', '2026-12-01T08:00:00Z', [charging(false)]),
        event('e4b', 'veh-B', '2026-12-01T08:00:00Z', [charging(true)]), // same time: the later order key wins
        event('e5', 'veh-B', null, [soc(99)]),
        event('e3', 'veh-A', '2026-12-01T09:00:00Z', [soc(40), charging(false)]),
      ].join('\n'),
    );

    // Act
    const run = await cli(['run', '--input', input, '--data-dir', data]);
    const rows = await query(
      warehouse,
      `SELECT vehicle_id, events, last_recorded_at, TractionBattery_StateOfCharge_value AS soc,
              TractionBattery_StateOfCharge_value__observed_at AS soc_at, Charge_IsCharging AS charging,
              Charge_IsCharging__observed_at AS charging_at, Location_PreciseLocation_latitude AS lat,
              Location_PreciseLocation_latitude__observed_at AS lat_at, vehicle_make
       FROM telemetry.car_latest_state ORDER BY vehicle_id`,
    );

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(rows).toEqual([
      {
        vehicle_id: 'veh-A',
        events: '3',
        last_recorded_at: '2026-12-01 11:00:00',
        soc: 60,
        soc_at: '2026-12-01 11:00:00',
        charging: true,
        charging_at: '2026-12-01 10:00:00',
        lat: 59.3,
        lat_at: '2026-12-01 10:00:00',
        vehicle_make: 'POLESTAR',
      },
      {
        vehicle_id: 'veh-B',
        events: '3',
        last_recorded_at: '2026-12-01 08:00:00',
        soc: null,
        soc_at: null,
        charging: true,
        charging_at: '2026-12-01 08:00:00',
        lat: null,
        lat_at: null,
        vehicle_make: 'POLESTAR',
      },
    ]);
  });

  it('comments every column and the table (classification words included) and keeps the view current', async () => {
    // Prepare: a later load brings a new column.
    const input = join(tmp.path, 'more.ndjson');
    writeFileSync(
      input,
      event('e6', 'veh-B', '2026-12-01T12:00:00Z', [
        { code: 'charge-voltage', body: { value: 230, unit: 'volts' } },
      ]),
    );

    // Act
    const run = await cli(['run', '--input', input, '--data-dir', data]);
    const comments = await query(
      warehouse,
      `SELECT column_name, column_comment AS comment FROM information_schema.columns
       WHERE table_schema = 'telemetry' AND table_name = 'car_telemetry_flattened'`,
    );
    const [table] = await query(
      warehouse,
      `SELECT comment FROM duckdb_tables() WHERE schema_name = 'telemetry' AND table_name = 'car_telemetry_flattened'`,
    );
    const [latest] = await query(
      warehouse,
      `SELECT Charge_Voltage_value, Charge_Voltage_value__observed_at FROM telemetry.car_latest_state WHERE vehicle_id = 'veh-B'`,
    );

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const byName = new Map(comments.map((r) => [r.column_name, String(r.comment ?? '')]));
    expect([...byName.values()].filter((c) => c === '')).toEqual([]);
    expect(byName.get('Location_PreciseLocation_latitude')).toContain('Classification: pii.');
    expect(byName.get('vehicle_id')).toContain('Classification: pii.');
    expect(byName.get('TractionBattery_StateOfCharge_value')).toMatch(
      /Unit: given per row in TractionBattery_StateOfCharge_unit.*Smartcar signal: tractionbattery-stateofcharge \(value\)\. Classification: internal\./,
    );
    expect(byName.get('Charge_Voltage_value')).toContain('Smartcar signal: charge-voltage');
    expect(String(table?.comment)).toContain('one row per event_id');
    expect(latest).toEqual({
      Charge_Voltage_value: 230,
      Charge_Voltage_value__observed_at: '2026-12-01 12:00:00',
    });
  });

  it('documents a table made before comments existed when a writer next opens it (no reload)', async () => {
    // Prepare: a table as an earlier release left it: no comments, no view.
    const old = join(tmp.path, 'old.duckdb');
    const instance = await DuckDBInstance.create(old);
    const c = await instance.connect();
    const fixed = FIXED_COLUMNS.map((col) => `${quoteIdent(col.name)} ${DUCKDB_TYPES[col.type]}`).join(', ');
    await c.run(
      `CREATE SCHEMA telemetry; CREATE TABLE telemetry.car_telemetry_flattened (${fixed}, "Charge_IsCharging" BOOLEAN)`,
    );
    await c.run(
      `INSERT INTO telemetry.car_telemetry_flattened (event_id, vehicle_id, recorded_at, "Charge_IsCharging") VALUES ('e1', 'veh-1', '2026-12-01 10:00:00', true)`,
    );
    c.closeSync();
    instance.closeSync();

    // Act
    const sink = await DuckDbSink.open(old);
    await sink.loadedFiles([]);
    await sink.close();
    const [charging] = await query(
      old,
      `SELECT comment FROM duckdb_columns() WHERE table_name = 'car_telemetry_flattened' AND column_name = 'Charge_IsCharging'`,
    );
    const latest = await query(old, 'SELECT vehicle_id, "Charge_IsCharging" FROM telemetry.car_latest_state');

    // Assess
    expect(String(charging?.comment)).toMatch(
      /^Smartcar signal Charge\.IsCharging: its value \(boolean\)\. Smartcar signal: charge-ischarging \(value\)\. Classification: internal\.$/,
    );
    expect(latest).toEqual([{ vehicle_id: 'veh-1', Charge_IsCharging: true }]);
  });
});
