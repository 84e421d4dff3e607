import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksHttp } from '../../../src/adapters/databricks/DatabricksHttp.js';
import { DatabricksJobs } from '../../../src/adapters/databricks/DatabricksJobs.js';
import { DatabricksSink } from '../../../src/adapters/databricks/DatabricksSink.js';
import { parseTableName, quoteIdent } from '../../../src/adapters/databricks/databricksSql.js';
import { loadJobSettings } from '../../../src/adapters/databricks/jobSettings.js';
import { loadJobSql } from '../../../src/adapters/databricks/jobSql.js';
import { loadBatchSql, loadParameters } from '../../../src/adapters/databricks/loadSql.js';
import { manifestKey } from '../../../src/adapters/databricks/StagedManifest.js';
import type { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';
import { triggerLoadRuns } from '../../../src/adapters/databricks/triggerLoadRuns.js';
import { FsObjectStore } from '../../../src/adapters/fs/FsObjectStore.js';
import { loadResult } from '../../../src/adapters/sql/loadRule.js';
import type { FlatRow } from '../../../src/core/flatten/flattenEvent.js';
import { padSequence } from '../../../src/core/model/RawRecord.js';
import { type ColumnDef, FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import type { LoadBatch, TableSink } from '../../../src/ports/TableSink.js';
import { tableSinkContract } from '../../ports/tableSinkContract.js';
import { DatabricksFake } from '../../support/databricksFake.js';
import { readRowsById } from '../../support/databricksHarness.js';
import { rowValues } from '../../support/rowValues.js';
import { acquireSparkSql } from '../../support/sparkEngine.js';

// Job mode end to end: the sink stages, the trigger's own code (triggerLoadRuns) starts the deployed job with the
// batch as job parameters, and the job's generated SQL file runs on Apache Spark + Delta Lake (the Jobs API is a
// fake that follows its documented contract; the SQL warehouse is the real engine).
let sql: StatementClient;
let jobs: DatabricksJobs;
let fake: DatabricksFake;
let release: () => Promise<void>;
let n = 0;
const opened = new WeakMap<object, { schema: string }>();

beforeAll(async () => {
  const acquired = await acquireSparkSql(inject('sparkEngine'));
  ({ sql, release } = acquired);
  const { host, token, warehouseId } = acquired.engine;
  fake = await new DatabricksFake({ sqlWarehouse: { host, token, warehouseId } }).start();
  jobs = new DatabricksJobs(
    new DatabricksHttp({ host: fake.host, credentials: { kind: 'pat', token: fake.token } }),
  );
}, 300_000);
afterAll(async () => {
  await fake?.stop();
  await release?.();
});

async function untilDone(runId: number) {
  for (;;) {
    const run = await jobs.getRun(runId);
    if (run.lifeCycleState === 'TERMINATED' || run.lifeCycleState === 'INTERNAL_ERROR') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A job-mode sink in a fresh schema: stages, triggers the deployed job, waits for its run, reads the load log. */
async function openJobSink() {
  n += 1;
  const schema = `Job_${process.pid}_${n}`;
  const target = parseTableName(`main.${schema}.Car_Telemetry_Flattened`);
  const dir = mkdtempSync(join(tmpdir(), 'dbx-job-'));
  const store = new FsObjectStore(dir);
  const path = `/Workspace/Shared/test/${schema}.sql`;
  await jobs.putWorkspaceFile(path, loadJobSql(target));
  const { jobId } = await jobs.deploy(
    loadJobSettings({ name: `load-${schema}`, warehouseId: 'wh', sqlFilePath: path }),
  );
  const inner = new DatabricksSink(sql, { store, stagedPrefix: 'staged/', target, mode: 'job' });
  const ledger = new DatabricksSink(sql, { store, stagedPrefix: 'staged/', target, mode: 'direct' });
  // The bucket's s3:// URLs (what the trigger sends) are this folder's file:// URLs on the local engine.
  const trigger = {
    start: async (token: string, parameters: Readonly<Record<string, string>>) =>
      jobs.runNow(
        jobId,
        token,
        Object.fromEntries(
          Object.entries(parameters).map(([k, v]) => [k, v.replace('s3://bucket/', `file://${dir}/`)]),
        ),
      ),
  };
  const sink: TableSink = {
    readColumns: () => inner.readColumns(),
    loadedFiles: (keys) => ledger.loadedFiles(keys),
    load: async (batch) => {
      await inner.load(batch);
      const key = manifestKey('staged/', batch.batchId);
      const { started, failed } = await triggerLoadRuns(trigger, [{ bucket: 'bucket', key, etag: `${n}` }]);
      if (failed.length > 0 || !started[0]) throw new Error(failed[0]?.error ?? 'no run started');
      const run = await untilDone(started[0].runId);
      if (run.resultState !== 'SUCCESS') throw new Error(run.message ?? 'the load run failed');
      // What the run decided, from the load log it keeps (direct mode reads the same row).
      const url = (k: string) => `file://${join(dir, k)}`;
      const { readLog } = loadBatchSql(target, loadParameters(url, 'staged/', batch.batchId));
      return loadResult((await sql.execute(readLog)).rows[0] ?? [], batch.rows.length, batch.deletes.length);
    },
    close: async () => {
      await sql.execute({
        sql: `DROP SCHEMA IF EXISTS \`main\`.${quoteIdent(target.schema)} CASCADE`,
        parameters: [],
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  opened.set(sink, { schema: target.schema });
  return { sink, target };
}

tableSinkContract(
  'DatabricksSink (job mode: trigger -> Jobs API -> SQL file on Spark + Delta)',
  {
    open: async () => (await openJobSink()).sink,
    read: async (sink, columns) => {
      const o = opened.get(sink);
      if (!o) throw new Error('unknown sink');
      return readRowsById(sql, `\`main\`.${quoteIdent(o.schema)}.\`car_telemetry_flattened\``, columns);
    },
  },
  { timeout: 600_000 },
);

const docsColumns: ColumnDef[] = [
  { name: 'TractionBattery_StateOfCharge_value', type: 'DOUBLE' },
  { name: 'Location_PreciseLocation_latitude', type: 'DOUBLE' },
];
/** A column from data that is not a signal, named to end quotes and statements; "latitude" makes it pii. */
const HOSTILE_PII: ColumnDef = { name: "x`'; DROP TABLE t; --\\latitude", type: 'VARCHAR' };
const laterColumns: ColumnDef[] = [{ name: 'Charge_Voltage_value', type: 'DOUBLE' }, HOSTILE_PII];

function docsBatch(
  id: string,
  at: number,
  columns: ColumnDef[],
  added: ColumnDef[],
  values: FlatRow,
): LoadBatch {
  const all = [...FIXED_COLUMNS, ...columns];
  return {
    batchId: id,
    files: [`raw/${id}.ndjson.gz`],
    columns: all,
    newColumns: added,
    rows: rowValues(
      [
        {
          event_id: `e-${id}`,
          vehicle_id: 'veh-1',
          vehicle_make: 'POLESTAR',
          recorded_at: Date.UTC(2026, 11, 1, at),
          pipeline_sequence_number: padSequence(at),
          pipeline_content_hash: id,
          pipeline_processed_at: 0,
          pipeline_source_file: 'test',
          ...values,
        },
      ],
      all,
    ),
    deletes: [],
  };
}

/** What documents a table, read back the ways an analyst would (schema names left out, to compare two tables). */
async function documentation(schema: string, table: string) {
  const q = async (text: string) => (await sql.execute({ sql: text, parameters: [] })).rows;
  const where = `table_schema = '${schema}'`;
  const s = `\`main\`.${quoteIdent(schema)}`;
  return {
    columns: await q(
      `SELECT column_name, comment FROM system.information_schema.columns WHERE ${where} AND table_name = '${table}' ORDER BY ordinal_position`,
    ),
    described: (await q(`DESCRIBE TABLE ${s}.${quoteIdent(table)}`)).filter(
      ([name]) => name && !name.startsWith('#'),
    ),
    tags: await q(
      `SELECT column_name, tag_name, tag_value FROM system.information_schema.column_tags WHERE schema_name = '${schema}' ORDER BY column_name`,
    ),
    table: await q(
      `SELECT comment FROM system.information_schema.tables WHERE ${where} AND table_name = '${table}'`,
    ),
    view: await q(
      `SELECT column_name FROM system.information_schema.columns WHERE ${where} AND table_name = 'car_latest_state' ORDER BY ordinal_position`,
    ),
    latest: await q(`SELECT * FROM ${s}.\`car_latest_state\``),
  };
}

describe('job mode documents the table as direct mode does', { timeout: 900_000 }, () => {
  it('the same comments, pii tags, table comment and car_latest_state after a first batch and one adding columns (a hostile name included)', async () => {
    // Prepare: a job-mode table and a direct-mode table, loaded with the same two batches
    const job = await openJobSink();
    const dir = mkdtempSync(join(tmpdir(), 'dbx-direct-'));
    const target = parseTableName(`main.docs_direct_${process.pid}.car_telemetry_flattened`);
    const direct = new DatabricksSink(sql, {
      store: new FsObjectStore(dir),
      stagedPrefix: 'staged/',
      target,
      mode: 'direct',
      locate: (key) => `file://${join(dir, key)}`,
    });
    const batches = [
      docsBatch('d1', 10, docsColumns, docsColumns, {
        TractionBattery_StateOfCharge_value: 50,
        Location_PreciseLocation_latitude: 59.3,
      }),
      docsBatch('d2', 11, [...docsColumns, ...laterColumns], laterColumns, {
        Charge_Voltage_value: 230,
        [HOSTILE_PII.name]: 'here',
      }),
    ];
    try {
      // Act
      for (const batch of batches) {
        await job.sink.load(batch);
        await direct.load(batch);
      }
      const fromJob = await documentation(job.target.schema, job.target.table);
      const fromDirect = await documentation(target.schema, target.table);

      // Assess
      expect(fromJob).toEqual(fromDirect);
      expect(fromJob.columns.filter(([, comment]) => !comment)).toEqual([]);
      expect(fromJob.columns).toContainEqual([
        HOSTILE_PII.name,
        expect.stringMatching(/Classification: pii\.$/),
      ]);
      expect(fromJob.tags.map(([name]) => name)).toEqual(
        expect.arrayContaining(['vehicle_id', 'Location_PreciseLocation_latitude', HOSTILE_PII.name]),
      );
      expect(fromJob.table[0]?.[0]).toContain('one row per event_id');
      expect(fromJob.view.map(([name]) => name)).toEqual(
        expect.arrayContaining(['Charge_Voltage_value__observed_at', `${HOSTILE_PII.name}__observed_at`]),
      );
      expect(fromJob.latest).toHaveLength(1);
    } finally {
      await job.sink.close();
      await sql.execute({
        sql: `DROP SCHEMA IF EXISTS \`main\`.${quoteIdent(target.schema)} CASCADE`,
        parameters: [],
      });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
