import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { DatabricksSink } from '../../../src/adapters/databricks/DatabricksSink.js';
import { parseTableName, quoteIdent } from '../../../src/adapters/databricks/databricksSql.js';
import type { StatementClient } from '../../../src/adapters/databricks/StatementClient.js';
import { FsObjectStore } from '../../../src/adapters/fs/FsObjectStore.js';
import type { TableSink } from '../../../src/ports/TableSink.js';
import { tableSinkContract } from '../../ports/tableSinkContract.js';
import { readRowsById } from '../../support/databricksHarness.js';
import { acquireSparkSql } from '../../support/sparkEngine.js';

// Every statement direct mode sends, run by Apache Spark + Delta Lake behind the Statement Execution API.
let sql: StatementClient;
let release: () => Promise<void>;
let n = 0;
const opened = new WeakMap<object, { schema: string; dir: string }>();

beforeAll(async () => {
  ({ sql, release } = await acquireSparkSql(inject('sparkEngine')));
}, 300_000);
afterAll(async () => {
  await release?.();
});

tableSinkContract(
  'DatabricksSink (direct mode, Spark + Delta engine)',
  {
    open: async () => {
      n += 1;
      // Mixed case on purpose: Unity Catalog (and the engine) keep names in lower case.
      const schema = `Sink_${process.pid}_${n}`;
      const target = parseTableName(`main.${schema}.Car_Telemetry_Flattened`);
      const dir = mkdtempSync(join(tmpdir(), 'dbx-spark-'));
      const store = new FsObjectStore(dir);
      const inner = new DatabricksSink(sql, {
        store,
        stagedPrefix: 'staged/',
        target,
        mode: 'direct',
        locate: (key) => `file://${join(dir, key)}`,
      });
      const sink: TableSink = {
        readColumns: () => inner.readColumns(),
        loadedFiles: (keys) => inner.loadedFiles(keys),
        load: (batch) => inner.load(batch),
        close: async () => {
          await sql.execute({
            sql: `DROP SCHEMA IF EXISTS \`main\`.${quoteIdent(target.schema)} CASCADE`,
            parameters: [],
          });
          rmSync(dir, { recursive: true, force: true });
        },
      };
      opened.set(sink, { schema: target.schema, dir });
      return sink;
    },
    read: async (sink, columns) => {
      const o = opened.get(sink);
      if (!o) throw new Error('unknown sink');
      return readRowsById(sql, `\`main\`.${quoteIdent(o.schema)}.\`car_telemetry_flattened\``, columns);
    },
  },
  // Delta MERGE on a local JVM takes seconds per statement, minutes per test on a shared 2-core machine.
  { timeout: 600_000 },
);
