import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksSink, type SqlRunner } from '../../../src/adapters/databricks/DatabricksSink.js';
import { documentTable } from '../../../src/adapters/databricks/databricksDocs.js';
import { parseTableName, quoteIdent } from '../../../src/adapters/databricks/databricksSql.js';
import type { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';
import { FsObjectStore } from '../../../src/adapters/fs/FsObjectStore.js';
import { captureBatch } from '../../../src/capture/captureBatch.js';
import { processPending } from '../../../src/process/processPending.js';
import { insert, PREFIXES } from '../../support/pipeline.js';
import { acquireSparkSql } from '../../support/sparkEngine.js';

// Comments, pii tags and car_latest_state written by direct-mode loads, read back from Spark + Delta.
let sql: StatementClient;
let release: () => Promise<void>;
const dir = mkdtempSync(join(tmpdir(), 'dbx-docs-'));
const store = new FsObjectStore(dir);
const target = parseTableName(`main.docs_${process.pid}.car_telemetry_flattened`);
const schema = `\`main\`.${quoteIdent(target.schema)}`;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const sent: string[] = [];
const DOCUMENTING = /^(COMMENT ON|ALTER TABLE \S+ ALTER COLUMN|CREATE OR REPLACE VIEW)/;
let sink: DatabricksSink;

beforeAll(async () => {
  ({ sql, release } = await acquireSparkSql(inject('sparkEngine')));
  const recording: SqlRunner = {
    execute: (s) => {
      sent.push(s.sql);
      return sql.execute(s);
    },
  };
  sink = new DatabricksSink(recording, {
    store,
    stagedPrefix: 'staged/',
    target,
    mode: 'direct',
    locate: (key) => `file://${join(dir, key)}`,
  });
}, 300_000);
afterAll(async () => {
  await sql?.execute({ sql: `DROP SCHEMA IF EXISTS ${schema} CASCADE`, parameters: [] });
  rmSync(dir, { recursive: true, force: true });
  await release?.();
});

const rows = async (text: string) => (await sql.execute({ sql: text, parameters: [] })).rows;

type Signal = { code: string; group: string; name: string; body: Record<string, unknown> };
let seq = 0;
const event = (id: string, vehicle: string, recordedAt: string | null, signals: Signal[]) => {
  seq += 1;
  return insert(
    {
      event_id: id,
      ...(recordedAt ? { recorded_at: recordedAt } : {}),
      vehicle: { id: vehicle, make: 'POLESTAR' },
      signals: signals.map((s) => ({ ...s, body: JSON.stringify(s.body) })),
    },
    seq,
  );
};
const soc = (value: number): Signal => ({
  code: 'tractionbattery-stateofcharge',
  group: 'TractionBattery',
  name: 'StateOfCharge',
  body: { value, unit: 'percent' },
});
const charging = (value: boolean): Signal => ({
  code: 'charge-ischarging',
  group: 'Charge',
  name: 'IsCharging',
  body: { value },
});
const location = (latitude: number, longitude: number): Signal => ({
  code: 'location-preciselocation',
  group: 'Location',
  name: 'PreciseLocation',
  body: { latitude, longitude },
});

async function load(records: ReturnType<typeof event>[]) {
  await captureBatch(records, store, { rawPrefix: PREFIXES.rawPrefix, source: `s${seq}` });
  sent.length = 0;
  return processPending({ store, sink }, PREFIXES);
}

// Delta commits on a local JVM take about a second each on a shared 2-core machine.
describe('the Unity Catalog table explains itself (direct mode, Spark + Delta engine)', {
  timeout: 600_000,
}, () => {
  it('comments every column and the table, tags pii columns, and car_latest_state holds the hand-computed state', async () => {
    // Prepare: events out of order; e3 is the oldest though last; e5 has no recorded_at (cannot be placed).
    // By hand: veh-A soc 60 (e2, 11:00), charging true and location (e1, 10:00); veh-B charging true (e4b).
    const records = [
      event('e1', 'veh-A', '2026-12-01 10:00:00', [soc(50), charging(true), location(59.3, 18.1)]),
      event('e2', 'veh-A', '2026-12-01 11:00:00', [soc(60)]),
      event('e4', 'veh-B', '2026-12-01 08:00:00', [charging(false)]),
      event('e4b', 'veh-B', '2026-12-01 08:00:00', [charging(true)]), // same time: the later order key wins
      event('e5', 'veh-B', null, [soc(99)]),
      event('e3', 'veh-A', '2026-12-01 09:00:00', [soc(40), charging(false)]),
    ];

    // Act
    const summary = await load(records);
    const columns = await rows(
      `SELECT column_name, comment FROM system.information_schema.columns WHERE table_schema = '${target.schema}' AND table_name = '${target.table}'`,
    );
    const described = await rows(`DESCRIBE TABLE ${schema}.\`car_telemetry_flattened\``);
    const [table] = await rows(
      `SELECT comment FROM system.information_schema.tables WHERE table_schema = '${target.schema}' AND table_name = '${target.table}'`,
    );
    const tags = await rows(
      `SELECT column_name, tag_value FROM system.information_schema.column_tags WHERE schema_name = '${target.schema}' AND tag_name = 'classification' ORDER BY column_name`,
    );
    const latest = await rows(
      `SELECT vehicle_id, events, last_recorded_at, TractionBattery_StateOfCharge_value,
              TractionBattery_StateOfCharge_value__observed_at, Charge_IsCharging, Charge_IsCharging__observed_at,
              Location_PreciseLocation_latitude, Location_PreciseLocation_latitude__observed_at, vehicle_make
       FROM ${schema}.car_latest_state ORDER BY vehicle_id`,
    );

    // Assess
    expect(summary).toMatchObject({ inserted: 6, batches: 1 });
    const comments = new Map(columns.map(([name, comment]) => [name, comment ?? '']));
    expect([...comments].filter(([, c]) => c === '')).toEqual([]);
    expect(comments.get('car_timezone')).toBe("The car's time zone (IANA name). Classification: internal.");
    expect(comments.get('Location_PreciseLocation_latitude')).toContain('Classification: pii.');
    expect(comments.get('TractionBattery_StateOfCharge_value')).toMatch(
      /Smartcar signal: tractionbattery-stateofcharge \(value\)\. Classification: internal\.$/,
    );
    expect(described.find(([name]) => name === 'vehicle_id')?.[2]).toBe(
      'Smartcar vehicle id. Classification: pii.',
    );
    expect(table?.[0]).toContain('one row per event_id');
    expect(tags).toEqual([
      ['Location_PreciseLocation_latitude', 'pii'],
      ['Location_PreciseLocation_longitude', 'pii'],
      ['_rescued_data', 'pii'],
      ['smartcar_user_id', 'pii'],
      ['vehicle_id', 'pii'],
    ]);
    expect(latest).toEqual([
      [
        'veh-A',
        '3',
        '2026-12-01T11:00:00Z',
        '60.0',
        '2026-12-01T11:00:00Z',
        'true',
        '2026-12-01T10:00:00Z',
        '59.3',
        '2026-12-01T10:00:00Z',
        'POLESTAR',
      ],
      [
        'veh-B',
        '3',
        '2026-12-01T08:00:00Z',
        null,
        null,
        'true',
        '2026-12-01T08:00:00Z',
        null,
        null,
        'POLESTAR',
      ],
    ]);
  });

  it('documents only the columns a later load adds and recreates the view; a load without new columns sends no documentation', async () => {
    // Prepare
    const voltage: Signal = {
      code: 'charge-voltage',
      group: 'Charge',
      name: 'Voltage',
      body: { value: 230 },
    };

    // Act
    await load([event('e6', 'veh-B', '2026-12-01 12:00:00', [voltage])]);
    const documenting = sent.filter((s) => DOCUMENTING.test(s));
    await load([event('e7', 'veh-B', '2026-12-01 13:00:00', [soc(70)])]);
    const quiet = sent.filter((s) => DOCUMENTING.test(s));
    const [comment] = await rows(
      `SELECT comment FROM system.information_schema.columns WHERE table_schema = '${target.schema}' AND table_name = '${target.table}' AND column_name = 'Charge_Voltage_value'`,
    );
    const [latest] = await rows(
      `SELECT Charge_Voltage_value, Charge_Voltage_value__observed_at, TractionBattery_StateOfCharge_value FROM ${schema}.car_latest_state WHERE vehicle_id = 'veh-B'`,
    );

    // Assess
    expect(documenting.map((s) => s.replace(/ (IS|COMMENT) '.*$/s, '').replace(/\n[\s\S]*$/, ''))).toEqual([
      `ALTER TABLE \`main\`.${quoteIdent(target.schema)}.\`car_telemetry_flattened\` ALTER COLUMN \`Charge_Voltage_value\``,
      `COMMENT ON TABLE \`main\`.${quoteIdent(target.schema)}.\`car_telemetry_flattened\``,
      `CREATE OR REPLACE VIEW \`main\`.${quoteIdent(target.schema)}.\`car_latest_state\``,
    ]);
    expect(quiet).toEqual([]);
    expect(comment?.[0]).toContain('Smartcar signal: charge-voltage');
    expect(latest).toEqual(['230.0', '2026-12-01T12:00:00Z', '70.0']);
  });

  it('falls back to one COMMENT ON COLUMN per column where the multi-column ALTER does not parse', async () => {
    // Prepare: a column added by hand (no comment) and a runtime that rejects the multi-column form.
    await rows(`ALTER TABLE ${schema}.\`car_telemetry_flattened\` ADD COLUMNS (\`extra_latitude\` DOUBLE)`);
    const older: SqlRunner = {
      execute: async (s) => {
        if (/^ALTER TABLE \S+ ALTER COLUMN [^\n]* COMMENT '/.test(s.sql)) {
          throw new Error("[PARSE_SYNTAX_ERROR] Syntax error at or near ','");
        }
        return sql.execute(s);
      },
    };
    // Act
    await documentTable((s) => older.execute(s), target);
    const [comment] = await rows(
      `SELECT comment FROM system.information_schema.columns WHERE table_schema = '${target.schema}' AND table_name = '${target.table}' AND column_name = 'extra_latitude'`,
    );
    const tags = await rows(
      `SELECT tag_value FROM system.information_schema.column_tags WHERE schema_name = '${target.schema}' AND column_name = 'extra_latitude'`,
    );
    // Assess
    expect(comment?.[0]).toMatch(/^A field the signal catalog does not document.*Classification: pii\.$/);
    expect(tags).toEqual([['pii']]);
  });

  it("docs/databricks.md's analysts view, generated from the tags, leaves out every pii column", async () => {
    // Prepare: the generator query as the docs print it, pointed at this test's schema.
    const markdown = readFileSync(join(ROOT, 'docs', 'databricks.md'), 'utf8');
    const block = /```sql\n(SELECT 'CREATE OR REPLACE VIEW[\s\S]*?)```/.exec(markdown)?.[1] ?? '';
    const generator = block
      .replaceAll('main.telemetry.', `main.${target.schema}.`)
      .replaceAll("'telemetry'", `'${target.schema}'`);
    // Act
    const [[ddl] = []] = await rows(generator);
    await rows(ddl ?? '');
    const columns = await rows(
      `SELECT column_name FROM system.information_schema.columns WHERE table_schema = '${target.schema}' AND table_name = 'car_telemetry_analysts'`,
    );
    // Assess
    const names = columns.map(([n]) => n);
    expect(block).toContain('car_telemetry_analysts');
    expect(names).toContain('TractionBattery_StateOfCharge_value');
    expect(names).toContain('event_id');
    for (const pii of [
      'vehicle_id',
      'smartcar_user_id',
      '_rescued_data',
      'Location_PreciseLocation_latitude',
      'extra_latitude',
    ]) {
      expect(names).not.toContain(pii);
    }
  });
});
