/**
 * Measured step 2: the strong DuckDB anchor, one CREATE TABLE AS on the raw files (one map per event, one
 * extraction per planned column). The column plan is made untimed from the first raw objects (the catalog known
 * ahead), so columns seen only later are left out: rows and checksum are compared, not the column count.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsSql } from '../anchors/duckdbNative.sql.js';
import { PLAN_SQL, planColumns, strongSql } from '../anchors/duckdbStrong.sql.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';
import { listRawFiles } from '../lib/listRawFiles.js';
import { tableChecksum } from '../lib/tableChecksum.js';

const args = childArgs(process.argv.slice(2));
const { files } = listRawFiles(required(args, 'raw-dir'));
const instance = await DuckDBInstance.create(join(required(args, 'work-dir'), 'strong.duckdb'));
const c = await instance.connect();

const p = performance.now();
await c.run(eventsSql(files.slice(0, 2)));
const plan = planColumns((await c.runAndReadAll(PLAN_SQL)).getRows());
await c.run('DROP TABLE ev');
const planMs = Math.round(performance.now() - p);

const started = performance.now();
await c.run(strongSql('car_telemetry_flattened', files, plan));
const seconds = (performance.now() - started) / 1000;
const rss = peakRssMb();
const check = await tableChecksum(c, 'main', 'car_telemetry_flattened');
c.closeSync();
instance.closeSync();
report({
  seconds,
  records: check.rows,
  rows: check.rows,
  checksum: check.checksum,
  columns: check.columns,
  peakRssMb: rss,
  extra: { planMs, plannedColumns: plan.length, planFiles: Math.min(2, files.length) },
});
