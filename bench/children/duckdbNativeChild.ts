/** Measured step 2: the "embedded engine" anchor, DuckDB doing the whole job in SQL on the same raw files. */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsSql, LONG_SQL, PIVOT_SQL, TYPES_SQL, wideSql } from '../anchors/duckdbNative.sql.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';
import { listRawFiles } from '../lib/listRawFiles.js';
import { tableChecksum } from '../lib/tableChecksum.js';

const args = childArgs(process.argv.slice(2));
const { files } = listRawFiles(required(args, 'raw-dir'));
const instance = await DuckDBInstance.create(join(required(args, 'work-dir'), 'anchor.duckdb'));
const c = await instance.connect();

const started = performance.now();
const steps: Record<string, number> = {};
const step = async (name: string, sql: string): Promise<void> => {
  const t = performance.now();
  await c.run(sql);
  steps[name] = Math.round(performance.now() - t);
};
await step('read', eventsSql(files));
await step('long', LONG_SQL);
const t = performance.now();
const types = (await c.runAndReadAll(TYPES_SQL)).getRows().map(([col, type]) => ({
  col: String(col),
  type: String(type),
}));
steps.types = Math.round(performance.now() - t);
await step('pivot', PIVOT_SQL);
await step('insert', wideSql('car_telemetry_flattened', types));
const seconds = (performance.now() - started) / 1000;
const records = Number((await c.runAndReadAll('SELECT count(*) FROM ev')).getRows()[0]?.[0] ?? 0);
const rss = peakRssMb();
const check = await tableChecksum(c, 'main', 'car_telemetry_flattened');
c.closeSync();
instance.closeSync();
report({
  seconds,
  records,
  rows: check.rows,
  checksum: check.checksum,
  columns: check.columns,
  peakRssMb: rss,
  extra: { stepsMs: steps, threads: 'default (all cores)' },
});
