import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksSink, type SqlRunner } from '../../../src/adapters/databricks/DatabricksSink.js';
import { parseTableName, quoteIdent } from '../../../src/adapters/databricks/databricksSql.js';
import { loadBatchSql, loadParameters, loadSequence } from '../../../src/adapters/databricks/loadSql.js';
import type { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';
import { FsObjectStore } from '../../../src/adapters/fs/FsObjectStore.js';
import { SKIPPED_OLDER } from '../../../src/adapters/sql/loadRule.js';
import { TransientError } from '../../../src/core/errors.js';
import type { FlatRow } from '../../../src/core/flatten/flattenEvent.js';
import { padSequence } from '../../../src/core/model/RawRecord.js';
import { type ColumnDef, FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import type { LoadBatch } from '../../../src/ports/TableSink.js';
import { readRowsById } from '../../support/databricksHarness.js';
import { rowValues } from '../../support/rowValues.js';
import { acquireSparkSql } from '../../support/sparkEngine.js';

// Direct mode has no transaction across its statements (Databricks has none): a crash between ANY two of them,
// followed by a re-run of the same batch, must end in the same table and the same counts as an uninterrupted load.
const SOC: ColumnDef = { name: 'TractionBattery_StateOfCharge_value', type: 'DOUBLE' };
const target = parseTableName(`main.Crash_${process.pid}.car_telemetry_flattened`);
const table = `\`main\`.${quoteIdent(target.schema)}.\`car_telemetry_flattened\``;
let sql: StatementClient;
let release: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ sql, release } = await acquireSparkSql(inject('sparkEngine')));
  dir = mkdtempSync(join(tmpdir(), 'dbx-crash-'));
}, 300_000);
afterAll(async () => {
  await sql?.execute({
    sql: `DROP SCHEMA IF EXISTS \`main\`.${quoteIdent(target.schema)} CASCADE`,
    parameters: [],
  });
  if (dir) rmSync(dir, { recursive: true, force: true });
  await release?.();
});

const row = (id: string, seq: number, soc: number): FlatRow => ({
  event_id: id,
  recorded_at: Date.UTC(2025, 10, 25, 20),
  pipeline_sequence_number: padSequence(seq),
  pipeline_content_hash: `h${soc}`,
  TractionBattery_StateOfCharge_value: soc,
});
const batch = (
  batchId: string,
  rows: FlatRow[],
  deletes: { eventId: string; sequenceNumber: string }[] = [],
): LoadBatch => ({
  batchId,
  files: [`raw/${batchId}.ndjson.gz`],
  columns: [...FIXED_COLUMNS, SOC],
  newColumns: batchId === 'base' ? [SOC] : [],
  rows: rowValues(rows, [...FIXED_COLUMNS, SOC]),
  deletes,
});

/** A runner that crashes (a lost connection) just before load statement number `at` of the next load, once. */
function crashing(statements: readonly string[]): SqlRunner & { at: number } {
  let seen = 0;
  const runner = {
    at: -1,
    execute: async (s: Parameters<SqlRunner['execute']>[0], signal?: AbortSignal) => {
      if (runner.at >= 0 && statements.includes(s.sql) && seen++ === runner.at) {
        runner.at = -1;
        seen = 0;
        throw new TransientError('connection lost (test crash)');
      }
      return sql.execute(s, signal);
    },
  };
  return runner;
}

describe('DatabricksSink direct mode on Spark + Delta: a crash between any two load statements', {
  timeout: 900_000,
}, () => {
  it('a re-run of the batch ends in the same rows and the same counts as an uninterrupted load', async () => {
    // Prepare: the rows every scenario starts from (ids per crash point k), loaded once
    const store = new FsObjectStore(dir);
    const options = {
      store,
      stagedPrefix: 'staged/',
      target,
      mode: 'direct' as const,
      locate: (k: string) => `file://${join(dir, k)}`,
    };
    const sink = new DatabricksSink(sql, options);
    const texts = loadSequence(
      loadBatchSql(
        target,
        loadParameters((k) => k, '', 'x'),
      ),
    ).map((s) => s.sql);
    const points = texts.length; // guard, log, delete REMOVEd, tombstones, delete replaced, insert, ledger
    const ids = (k: number) => ({ upd: `u${k}`, del: `d${k}`, old: `o${k}`, ins: `i${k}` });
    const base: FlatRow[] = [];
    for (let k = 0; k < points; k++) {
      const i = ids(k);
      base.push(row(i.upd, 1, 10), row(i.del, 1, 20), row(i.old, 5, 30));
    }
    await sink.load(batch('base', base));
    // One sink that crashes and one that re-runs (each sets its tables up once: the statements under test are the
    // load's own).
    const runner = crashing(texts);
    const crashed = new DatabricksSink(runner, options);
    for (let k = 0; k < points; k++) {
      const i = ids(k);
      const b = batch(
        `crash${k}`,
        [row(i.upd, 2, 11), row(i.ins, 2, 40), row(i.old, 4, 99)],
        [{ eventId: i.del, sequenceNumber: padSequence(3) }],
      );
      // Act: crash before statement k, then run the same batch again, as the next process run does
      runner.at = k;
      await expect(crashed.load(b)).rejects.toThrow(/test crash/);
      const result = await sink.load(b);
      // Assess
      expect(result, `crash before statement ${k}`).toEqual({
        inserted: 1,
        updated: 1,
        unchanged: 0,
        deleted: 1,
        skippedByReason: { [SKIPPED_OLDER]: 1 },
      });
    }
    const rows = await readRowsById(sql, table, [SOC.name, 'pipeline_sequence_number']);
    for (let k = 0; k < points; k++) {
      const i = ids(k);
      expect(rows[i.upd]?.[SOC.name], `k=${k}`).toBe(11);
      expect(rows[i.ins]?.[SOC.name], `k=${k}`).toBe(40);
      expect(rows[i.old]?.[SOC.name], `k=${k}`).toBe(30);
      expect(rows[i.del], `k=${k}`).toBeUndefined();
    }
    expect(Object.keys(rows)).toHaveLength(points * 3);
    expect(
      await sink.loadedFiles(Array.from({ length: points }, (_, k) => `raw/crash${k}.ndjson.gz`)),
    ).toHaveLength(points);
  });
});
