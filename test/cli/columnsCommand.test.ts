import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('telemetry columns', () => {
  it('lists every column with type, rows holding a value, unit, source signal and classification', async () => {
    // Prepare: three events; the location arrives in one of them.
    const data = join(tmp.path, 'data');
    const input = join(tmp.path, 'events.ndjson');
    const event = (id: string, signals: unknown[]) =>
      JSON.stringify({ event_id: id, vehicle: { id: 'veh-1' }, signals });
    writeFileSync(
      input,
      [
        event('e1', [{ code: 'location-preciselocation', body: { latitude: 59.3, longitude: 18.1 } }]),
        event('e2', [{ code: 'tractionbattery-stateofcharge', body: { value: 80, unit: 'percent' } }]),
        event('e3', [{ code: 'tractionbattery-stateofcharge', body: { value: 81, unit: 'percent' } }]),
      ].join('\n'),
    );
    expect((await cli(['run', '--input', input, '--data-dir', data])).code).toBe(0);

    // Act
    const json = await cli(['columns', '--data-dir', data, '--json']);
    const human = await cli(['columns', '--data-dir', data]);

    // Assess
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { rows: number; columns: Record<string, unknown>[] };
    const byName = new Map(report.columns.map((c) => [c.name, c]));
    expect(report.rows).toBe(3);
    expect(report.columns[0]).toMatchObject({
      name: 'event_id',
      type: 'VARCHAR',
      rowsWithValue: 3,
      origin: 'fixed',
    });
    expect(byName.get('Location_PreciseLocation_latitude')).toMatchObject({
      type: 'DOUBLE',
      rowsWithValue: 1,
      signal: 'location-preciselocation',
      field: 'latitude',
      classification: 'pii',
    });
    expect(byName.get('TractionBattery_StateOfCharge_value')).toMatchObject({
      rowsWithValue: 2,
      unit: expect.stringContaining('percent'),
      classification: 'internal',
    });
    expect(byName.get('vehicle_model')).toMatchObject({ rowsWithValue: 0 });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^telemetry\.car_telemetry_flattened: 3 rows, \d+ columns\n/);
    expect(human.stdout).toMatch(
      /Location_PreciseLocation_latitude +DOUBLE +1 +pii +location-preciselocation \(latitude\)\n/,
    );
  });

  it('says when there is no table yet', async () => {
    const r = await cli(['columns', '--data-dir', join(tmp.path, 'empty')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no warehouse at .*empty/);
  });
});
