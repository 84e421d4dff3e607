/**
 * Measured step 6: `telemetry run` end to end as a user runs it, the CLI's run command on an NDJSON file of the
 * bench's events: capture (input -> raw objects, on its own thread) alongside process + load into DuckDB, then the
 * close. Run with the CLI's node flags and environment (bin/telemetry.js); the input file is written untimed.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCli } from '../../src/cli/main.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';
import { tableChecksum } from '../lib/tableChecksum.js';

const args = childArgs(process.argv.slice(2));
const dataDir = required(args, 'data-dir');
const stdout = new PassThrough();
let summary = '';
stdout.on('data', (d) => {
  summary += d;
});
const quiet = new PassThrough(); // progress lines: not part of the result
quiet.resume();
const started = performance.now();
const code = await runCli(
  [
    'run',
    '--input',
    required(args, 'input'),
    '--data-dir',
    dataDir,
    '--workers',
    args.workers ?? '0',
    '--json',
  ],
  { stdout, stderr: quiet, env: process.env, cwd: process.cwd() },
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage();
const rss = peakRssMb();
if (code !== 0) throw new Error(`telemetry run exited with ${code}: ${summary}`);
const run = JSON.parse(summary) as {
  process: { records: number; batches: number };
  capture: { objects: number };
};
const reader = await DuckDBInstance.create(join(dataDir, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
const connection = await reader.connect();
const check = await tableChecksum(connection, 'telemetry', 'car_telemetry_flattened');
connection.closeSync();
reader.closeSync();
report({
  seconds,
  records: run.process.records,
  rows: check.rows,
  checksum: check.checksum,
  columns: check.columns,
  peakRssMb: rss,
  extra: {
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    batches: run.process.batches,
    objects: run.capture.objects,
  },
});
