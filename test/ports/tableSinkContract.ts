import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SKIPPED_OLDER, SKIPPED_REMOVED } from '../../src/adapters/sql/loadRule.js';
import type { FlatRow } from '../../src/core/flatten/flattenEvent.js';
import { padSequence } from '../../src/core/model/RawRecord.js';
import type { ColumnDef } from '../../src/core/schema/fixedColumns.js';
import { FIXED_COLUMNS } from '../../src/core/schema/fixedColumns.js';
import type { LoadBatch, TableSink } from '../../src/ports/TableSink.js';
import { rowValues } from '../support/rowValues.js';

/** What a contract run needs from an adapter: a fresh sink and a way to read rows back. */
export interface TableSinkHarness {
  open(): Promise<TableSink>;
  /** event_id -> the named column values, for every row in the table. */
  read(sink: TableSink, columns: readonly string[]): Promise<Record<string, Record<string, unknown>>>;
}

/** Names that break naive quoting, and two that differ only in case (the registry names the second one apart). */
const HOSTILE: ColumnDef[] = [
  { name: 'it"s', type: 'VARCHAR' },
  { name: "o'clock", type: 'VARCHAR' },
  { name: 'back`tick', type: 'DOUBLE' },
  { name: 'select', type: 'BOOLEAN' },
  { name: 'a, b) DROP TABLE t; --', type: 'VARCHAR' },
  { name: 'température_°C', type: 'DOUBLE' },
  { name: 'Speed', type: 'DOUBLE' },
  { name: 'speed__h1a2b3c4d', type: 'DOUBLE' },
];

const EXTRA: ColumnDef[] = [
  { name: 'Charge_IsCharging', type: 'BOOLEAN' },
  { name: 'TractionBattery_StateOfCharge_value', type: 'DOUBLE' },
];

function row(id: string, seq: number, soc: number, hash = `h${soc}`): FlatRow {
  return {
    event_id: id,
    recorded_at: Date.UTC(2025, 10, 25, 20),
    vehicle_year: 2024,
    pipeline_sequence_number: padSequence(seq),
    pipeline_content_hash: hash,
    pipeline_processed_at: 0,
    pipeline_source_file: 'test',
    Charge_IsCharging: soc > 50,
    TractionBattery_StateOfCharge_value: soc,
  };
}

let n = 0;
function batch(
  rows: FlatRow[],
  deletes: { eventId: string; sequenceNumber: string }[] = [],
  newColumns = EXTRA,
  extra = EXTRA,
): LoadBatch {
  n += 1;
  const columns = [...FIXED_COLUMNS, ...extra];
  return {
    batchId: `b${n}`,
    files: [`raw/f${n}.ndjson.gz`],
    columns,
    newColumns,
    rows: rowValues(rows, columns),
    deletes,
  };
}

/**
 * The TableSink contract: every sink (DuckDB, Databricks) must pass it. Latest sequence wins, identical content is
 * unchanged, REMOVE deletes older rows and leaves a tombstone, the file ledger answers loadedFiles, and values come
 * back with their types.
 */
export function tableSinkContract(
  name: string,
  harness: TableSinkHarness,
  options: { timeout?: number } = {},
): void {
  describe(`TableSink contract: ${name}`, {
    ...(options.timeout ? { timeout: options.timeout } : {}),
  }, () => {
    let sink: TableSink;
    beforeEach(async () => {
      sink = await harness.open();
    });
    afterEach(async () => {
      await sink.close();
    });
    const soc = async () =>
      Object.fromEntries(
        Object.entries(await harness.read(sink, ['TractionBattery_StateOfCharge_value'])).map(([k, v]) => [
          k,
          v.TractionBattery_StateOfCharge_value,
        ]),
      );

    it('inserts, then treats the same content with a newer sequence as unchanged', async () => {
      expect(await sink.load(batch([row('a', 1, 10), row('b', 2, 20)]))).toEqual({
        inserted: 2,
        updated: 0,
        unchanged: 0,
        deleted: 0,
      });
      expect(await sink.load(batch([row('a', 3, 10)], [], []))).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 1,
        deleted: 0,
      });
      expect(await soc()).toEqual({ a: 10, b: 20 });
    });

    it('newer versions win, older ones do not', async () => {
      await sink.load(batch([row('a', 5, 10)]));
      expect(await sink.load(batch([row('a', 4, 99)], [], []))).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 0,
        deleted: 0,
        skippedByReason: { [SKIPPED_OLDER]: 1 },
      });
      expect(await sink.load(batch([row('a', 6, 30)], [], []))).toMatchObject({ updated: 1 });
      expect(await soc()).toEqual({ a: 30 });
    });

    it('a replay of the same version with other content (changed flattening rules) updates; same content does not', async () => {
      await sink.load(batch([row('a', 5, 10)]));
      expect(await sink.load(batch([row('a', 5, 10)], [], []))).toMatchObject({ unchanged: 1 });
      expect(await sink.load(batch([row('a', 5, 12, 'rules-v2')], [], []))).toMatchObject({ updated: 1 });
      expect(await soc()).toEqual({ a: 12 });
    });

    it('REMOVE deletes older rows and stops older versions from coming back', async () => {
      await sink.load(batch([row('a', 1, 10), row('b', 1, 20)]));
      expect(
        await sink.load(batch([], [{ eventId: 'a', sequenceNumber: padSequence(2) }], [])),
      ).toMatchObject({ deleted: 1 });
      expect(await sink.load(batch([row('a', 1, 10)], [], []))).toMatchObject({
        inserted: 0,
        unchanged: 0,
        skippedByReason: { [SKIPPED_REMOVED]: 1 },
      });
      expect(await sink.load(batch([row('a', 3, 11)], [], []))).toMatchObject({ inserted: 1 });
      expect(await soc()).toEqual({ a: 11, b: 20 });
    });

    it('records loaded files in its ledger', async () => {
      const b = batch([row('a', 1, 10)]);
      expect(await sink.loadedFiles(b.files)).toEqual(new Set());
      await sink.load(b);
      expect(await sink.loadedFiles([...b.files, 'raw/other'])).toEqual(new Set(b.files));
    });

    it('a newer version replaces the whole row: columns the newer batch lacks become NULL, new columns are added', async () => {
      // Prepare
      const odometer: ColumnDef = { name: 'Odometer_distance', type: 'DOUBLE' };
      await sink.load(batch([row('a', 1, 80), row('b', 1, 20)]));
      // Act: a newer version of `a` whose batch has the odometer but neither battery column
      const newer: FlatRow = { ...row('a', 2, 0), Odometer_distance: 1234.5 };
      delete newer.TractionBattery_StateOfCharge_value;
      delete newer.Charge_IsCharging;
      const result = await sink.load(batch([newer], [], [odometer], [odometer]));
      // Assess
      expect(result).toMatchObject({ updated: 1 });
      const rows = await harness.read(sink, [
        'TractionBattery_StateOfCharge_value',
        'Charge_IsCharging',
        'Odometer_distance',
      ]);
      expect(rows.a).toMatchObject({
        TractionBattery_StateOfCharge_value: null,
        Charge_IsCharging: null,
        Odometer_distance: 1234.5,
      });
      expect(rows.b).toMatchObject({ TractionBattery_StateOfCharge_value: 20, Odometer_distance: null });
      expect(await sink.readColumns()).toEqual(expect.arrayContaining([odometer]));
    });

    it('refuses to change a column type, naming the column; the table is unchanged', async () => {
      await sink.load(batch([row('a', 1, 80)]));
      const text: ColumnDef = { name: 'TractionBattery_StateOfCharge_value', type: 'VARCHAR' };
      const bad = { ...row('b', 2, 0), TractionBattery_StateOfCharge_value: 'full' };
      await expect(sink.load(batch([bad], [], [], [EXTRA[0] as ColumnDef, text]))).rejects.toThrow(
        /TractionBattery_StateOfCharge_value is DOUBLE in the table but VARCHAR in batch b\d+: types never change silently/,
      );
      expect(await soc()).toEqual({ a: 80 });
    });

    it('hostile and case-colliding column names round-trip; an empty batch changes nothing', async () => {
      const values: FlatRow = {
        'it"s': 'a"b',
        "o'clock": "1 o'clock",
        'back`tick': 1.5,
        select: true,
        'a, b) DROP TABLE t; --': 'x',
        'température_°C': 21.5,
        Speed: 10,
        speed__h1a2b3c4d: 20,
      };
      await sink.load(batch([{ ...row('a', 1, 80), ...values }], [], HOSTILE, [...EXTRA, ...HOSTILE]));
      expect(await sink.load(batch([], [], []))).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 0,
        deleted: 0,
      });
      expect(
        (
          await harness.read(
            sink,
            HOSTILE.map((c) => c.name),
          )
        ).a,
      ).toMatchObject(values);
      expect(await sink.readColumns()).toEqual(expect.arrayContaining(HOSTILE));
    });

    it('reports its columns with their logical types after a load', async () => {
      await sink.load(batch([row('a', 1, 60)]));
      const columns = await sink.readColumns();
      expect(columns).toEqual(expect.arrayContaining([...FIXED_COLUMNS, ...EXTRA]));
      // Nothing the staging layout implies (a `batch_id=` folder read as a partition column) leaks into the table.
      expect(columns.map((c) => c.name)).not.toContain('batch_id');
      const values = await harness.read(sink, ['Charge_IsCharging', 'vehicle_year', 'recorded_at']);
      expect(values.a).toMatchObject({ Charge_IsCharging: true, vehicle_year: 2024 });
      expect(
        new Date(
          String(values.a?.recorded_at)
            .replace(' ', 'T')
            .replace(/(?<!Z)$/, 'Z'),
        ).getTime(),
      ).toBe(Date.UTC(2025, 10, 25, 20));
    });
  });
}
