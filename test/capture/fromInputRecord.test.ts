import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { cli, cliProcess, tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function sampleLines(events: number, seed = 3): string[] {
  return [...generateSampleItems({ vehicles: 5, events, seed })].map((i) => JSON.stringify(i));
}

function write(name: string, content: string | Buffer): string {
  const path = join(tmp.path, name);
  writeFileSync(path, content);
  return path;
}

async function query(data: string, sql: string): Promise<Record<string, unknown>[]> {
  const r = await cli(['query', '--data-dir', data, '--format', 'json', sql]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

function quarantineEntries(data: string): Record<string, unknown>[] {
  const dir = join(data, 'quarantine');
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ndjson'));
  return files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
  );
}

const item = (id: string, extra: Record<string, unknown> = {}) => ({ event_id: id, signals: [], ...extra });

describe('hostile input through telemetry run', () => {
  it('a damaged .ndjson.gz loads every record before the damage, quarantines the rest with its offset; others proceed', async () => {
    // Prepare: one gzip corrupted in the middle, one cut off, one good file
    const whole = gzipSync(`${sampleLines(150).join('\n')}\n`);
    const corrupt = Buffer.from(whole);
    corrupt.fill(0x55, Math.floor(whole.length / 2), Math.floor(whole.length / 2) + 64);
    const corruptFile = write('corrupt.ndjson.gz', corrupt);
    const cutFile = write('cut.ndjson.gz', whole.subarray(0, Math.floor(whole.length * 0.6)));
    const good = write('good.ndjson', `${JSON.stringify(item('good-1'))}\n`);
    const data = join(tmp.path, 'damaged');

    // Act
    const r = await cli([
      'run',
      '--json',
      '--input',
      corruptFile,
      '--input',
      cutFile,
      '--input',
      good,
      '--data-dir',
      data,
    ]);
    const strict = await cli(['run', '--strict', '--input', cutFile, '--data-dir', join(tmp.path, 'strict')]);
    const nothing = await cli([
      'run',
      '--input',
      write('garbage.ndjson.gz', Buffer.from('not gzip at all')),
      '--data-dir',
      join(tmp.path, 'nothing'),
    ]);

    // Assess
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.reconciled).toBe(true);
    // Deflate may decode some corrupt bytes into garbage lines before it notices (quarantined as not JSON).
    const entries = quarantineEntries(data).filter((e) => /^capture: damaged input/.test(e.reason as string));
    expect(entries.map((e) => (e.source as { file: string }).file).sort()).toEqual([corruptFile, cutFile]);
    for (const e of entries) {
      expect(e.reason).toMatch(/the rest of the file, from byte \d+, is unreadable/);
      expect((e.source as { byteOffset: number }).byteOffset).toBeGreaterThan(0);
    }
    const [{ n }] = (await query(
      data,
      'SELECT count(*)::INT AS n FROM telemetry.car_telemetry_flattened',
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(30); // the records before the damage, from both files
    expect(
      await query(data, "SELECT event_id FROM telemetry.car_telemetry_flattened WHERE event_id = 'good-1'"),
    ).toHaveLength(1);
    expect(strict.code).toBe(1);
    expect(nothing.code).toBe(1);
  });

  it('malformed DynamoDB JSON in every decoder becomes a quarantine entry with a reason and its text', async () => {
    // Prepare
    const lines = [
      JSON.stringify({ Item: { event_id: { S: 'q1' }, signals: { L: [] }, odd: { Q: '1' } } }),
      JSON.stringify({ Item: { Item: { event_id: { S: 'deep' }, signals: { L: [] } } } }),
      JSON.stringify({
        eventName: 'INSERT',
        dynamodb: { SequenceNumber: '1', NewImage: { event_id: { Q: '1' } } },
      }),
      JSON.stringify({ eventName: 'INSERT', sequenceNumber: 'x', newImage: 5 }),
      JSON.stringify({ eventId: 'w1', eventType: 'VEHICLE_STATE', data: 'not an object' }),
      JSON.stringify(item('fine')),
    ];
    const data = join(tmp.path, 'decoders');

    // Act
    const r = await cli([
      'run',
      '--json',
      '--input',
      write('decoders.ndjson', `${lines.join('\n')}\n`),
      '--data-dir',
      data,
    ]);

    // Assess
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.reconciled).toBe(true);
    expect(summary.process.inserted).toBe(1);
    expect(summary.process.quarantined).toBe(5);
    const entries = quarantineEntries(data);
    expect(entries.map((e) => e.record).sort()).toEqual(lines.slice(0, 5).sort());
    for (const e of entries) expect(e.reason).toEqual(expect.any(String));
  });

  it('numbers a double cannot hold are never rounded: BIGINT when they fit, else exact text in _rescued_data', async () => {
    // Prepare: raw text, since JSON.stringify would round them already
    const id39 = '123456789012345678901234567890123456789';
    const line =
      `{"event_id":${id39},"vehicle":{"year":9007199254740993},"meta":{"signalCount":1e400},"signals":[
      {"code":"charge-chargerphases","group":"Charge","name":"ChargerPhases","body":{"value":9223372036854775807}},
      {"code":"charge-amperage","group":"Charge","name":"Amperage","body":{"value":1e-400,"unit":"A"}},
      {"code":"charge-voltage","group":"Charge","name":"Voltage","body":"{\\"value\\":0.123456789012345678901234567890123456,\\"unit\\":\\"V\\"}"}]}`.replace(
        /\n\s*/g,
        '',
      );
    const data = join(tmp.path, 'numbers');

    // Act
    const r = await cli(['run', '--input', write('numbers.ndjson', `${line}\n`), '--data-dir', data]);
    const rows = await query(
      data,
      'SELECT event_id, vehicle_year::VARCHAR AS year, Charge_ChargerPhases::VARCHAR AS phases, meta_signal_count, _rescued_data FROM telemetry.car_telemetry_flattened',
    );

    // Assess
    expect(r.code).toBe(0);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row).toMatchObject({
      event_id: id39,
      year: '9007199254740993',
      phases: '9223372036854775807',
      meta_signal_count: null,
    });
    expect(JSON.parse(row._rescued_data as string)).toMatchObject({
      meta_signal_count: '1e400',
      Charge_Amperage_value: '1e-400',
      Charge_Voltage_value: '0.123456789012345678901234567890123456',
    });
  });

  it('impossible dates go to _rescued_data as text; BOMs are ignored; unknown fields are kept', async () => {
    // Prepare
    const bom = '\uFEFF';
    const ndjson = write(
      'bom.ndjson',
      `${bom}${JSON.stringify(item('bom-1', { recorded_at: '2025-02-30 10:00:00', firmware: '1.2.3', meta: { deliveredAt: '2025-02-28T25:61:00Z', deliveryTime: 17 } }))}\r\n\r\n${JSON.stringify(item('bom-2'))}\r\n`,
    );
    const pretty = write('bom.json', `${bom}${JSON.stringify([item('bom-3'), item('bom-4')], null, 2)}`);
    const data = join(tmp.path, 'dates');

    // Act
    const r = await cli(['run', '--json', '--input', ndjson, '--input', pretty, '--data-dir', data]);
    const rows = await query(
      data,
      'SELECT event_id, recorded_at, meta_delivered_at, _rescued_data FROM telemetry.car_telemetry_flattened ORDER BY event_id',
    );

    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).process.quarantined).toBe(0);
    expect(rows.map((x) => x.event_id)).toEqual(['bom-1', 'bom-2', 'bom-3', 'bom-4']);
    expect(rows[0]).toMatchObject({ recorded_at: null, meta_delivered_at: null });
    expect(JSON.parse((rows[0] as { _rescued_data: string })._rescued_data)).toEqual({
      recorded_at: '2025-02-30 10:00:00',
      meta_delivered_at: '2025-02-28T25:61:00Z',
      '$.firmware': '1.2.3',
      '$.meta.deliveryTime': 17,
    });
  });

  it('a re-run after a crash writes each quarantine entry once, with the line as it arrived', async () => {
    // Prepare
    const bad = ['{not json', '{"signals": []}', JSON.stringify({ Item: { x: { Q: '1' } } })];
    const input = write('crash.ndjson', `${[...sampleLines(10), ...bad].join('\n')}\n`);
    const data = join(tmp.path, 'crash');

    // Act: killed after quarantine was written, before the load; then run again
    const crashed = await cliProcess(['run', '--input', input, '--data-dir', data], {
      TELEMETRY_FAULT: 'after-quarantine',
    });
    const rerun = await cli(['run', '--input', input, '--data-dir', data]);

    // Assess
    expect(crashed.signal).toBe('SIGKILL');
    expect(rerun.code).toBe(0);
    const entries = quarantineEntries(data);
    expect(entries.map((e) => e.record).sort()).toEqual([...bad].sort());
    expect(entries.map((e) => (e.source as { position: number }).position).sort()).toEqual([11, 12, 13]);
  });
});
