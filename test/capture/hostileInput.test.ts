import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const id39 = '123456789012345678901234567890123456789';
const decimal36 = '0.123456789012345678901234567890123456';

async function run(
  name: string,
  lines: readonly string[],
): Promise<{ data: string; summary: Record<string, unknown> }> {
  const input = join(tmp.path, `${name}.ndjson`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const data = join(tmp.path, name);
  const r = await cli(['run', '--json', '--input', input, '--data-dir', data]);
  expect(r.code).toBe(0);
  return { data, summary: JSON.parse(r.stdout) };
}

async function query(data: string, sql: string): Promise<Record<string, unknown>[]> {
  const r = await cli(['query', '--data-dir', data, '--format', 'json', sql]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

// The sub-cases of issue 12 that fromInputRecord.test.ts does not reach: exact numbers in signal columns written
// as plain JSON numbers (not inside a string body), and a record quarantined for another reason keeping its digits.
describe('hostile numbers through telemetry run', () => {
  it('a 39-digit integer and a 36-digit decimal in DOUBLE signal columns stay exact text; 2^53+1 lands in BIGINT', async () => {
    // Prepare: raw text, since JSON.stringify would round the numbers already
    const line = `{"event_id":"n1","signals":[${[
      `{"code":"charge-voltage","group":"Charge","name":"Voltage","body":{"value":${id39},"unit":"V"}}`,
      `{"code":"charge-amperage","group":"Charge","name":"Amperage","body":{"value":${decimal36},"unit":"A"}}`,
      '{"code":"charge-chargerphases","group":"Charge","name":"ChargerPhases","body":{"value":9007199254740993}}',
    ].join(',')}]}`;

    // Act
    const { data, summary } = await run('signals', [line]);
    const rows = await query(
      data,
      'SELECT Charge_ChargerPhases::VARCHAR AS phases, _rescued_data FROM telemetry.car_telemetry_flattened',
    );

    // Assess
    expect(summary.reconciled).toBe(true);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.phases).toBe('9007199254740993');
    expect(JSON.parse(rows[0]?._rescued_data as string)).toEqual({
      Charge_Voltage_value: id39,
      Charge_Amperage_value: decimal36,
    });
  });

  it('a quarantined record whose event id is a 39-digit number keeps every digit, as the line arrived', async () => {
    // Prepare
    const lines = [
      `{"event_id":${id39},"signals":5}`,
      `{"Item":{"event_id":{"N":"${id39}"},"signals":{"Q":"1"}}}`,
    ];

    // Act
    const { data, summary } = await run('quarantined', lines);

    // Assess
    expect(summary.reconciled).toBe(true);
    const dir = join(data, 'quarantine');
    const entries = (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { reason: string; record: string });
    expect(entries.map((e) => e.record).sort()).toEqual([...lines].sort());
    for (const e of entries) expect(e.reason).toEqual(expect.any(String));
  });
});
