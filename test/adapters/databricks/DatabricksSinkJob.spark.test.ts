import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
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
import type { TableSink } from '../../../src/ports/TableSink.js';
import { tableSinkContract } from '../../ports/tableSinkContract.js';
import { DatabricksFake } from '../../support/databricksFake.js';
import { readRowsById } from '../../support/databricksHarness.js';
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

tableSinkContract(
  'DatabricksSink (job mode: trigger -> Jobs API -> SQL file on Spark + Delta)',
  {
    open: async () => {
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
          const { started, failed } = await triggerLoadRuns(trigger, [
            { bucket: 'bucket', key, etag: `${n}` },
          ]);
          if (failed.length > 0 || !started[0]) throw new Error(failed[0]?.error ?? 'no run started');
          const run = await untilDone(started[0].runId);
          if (run.resultState !== 'SUCCESS') throw new Error(run.message ?? 'the load run failed');
          // What the run decided, from the load log it keeps (direct mode reads the same row).
          const url = (k: string) => `file://${join(dir, k)}`;
          const { readLog } = loadBatchSql(target, loadParameters(url, 'staged/', batch.batchId));
          return loadResult(
            (await sql.execute(readLog)).rows[0] ?? [],
            batch.rows.length,
            batch.deletes.length,
          );
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
      return sink;
    },
    read: async (sink, columns) => {
      const o = opened.get(sink);
      if (!o) throw new Error('unknown sink');
      return readRowsById(sql, `\`main\`.${quoteIdent(o.schema)}.\`car_telemetry_flattened\``, columns);
    },
  },
  { timeout: 600_000 },
);
