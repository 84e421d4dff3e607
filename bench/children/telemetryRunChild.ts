/**
 * Measured step 6: `telemetry run` end to end as a user runs it, the CLI's run command on an NDJSON file of the
 * bench's events: capture (input -> raw objects, on its own thread) alongside process + load into DuckDB, then the
 * close. Run with the CLI's node flags and environment (bin/telemetry.js); the input file is written untimed.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';
import { warehouseChecksum } from '../lib/tableChecksum.js';

const args = childArgs(process.argv.slice(2));
const dataDir = required(args, 'data-dir');
const stdout = new PassThrough();
let summary = '';
stdout.on('data', (d) => {
  summary += d;
});
const quiet = new PassThrough(); // progress lines: not part of the result, kept for an error
let errors = '';
quiet.on('data', (d) => {
  errors = (errors + d).slice(-4000);
});
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
if (code !== 0) throw new Error(`telemetry run exited with ${code}: ${summary}\n${errors}`);
const run = JSON.parse(summary) as {
  process: { records: number; batches: number };
  capture: { objects: number };
};
const check = await warehouseChecksum(join(dataDir, 'warehouse.duckdb'));
report({
  seconds,
  records: run.process.records,
  ...check, // rows, checksum, columns
  peakRssMb: rss,
  extra: {
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    batches: run.process.batches,
    objects: run.capture.objects,
  },
});
