/**
 * `npm run bench [-- --events N]`: generates N realistic events, captures them into raw gzip NDJSON objects and
 * measures, on the same files and each in its own process: the parse floor, the DuckDB-native anchor, the
 * pure-Python anchor, our capture handler and our process + load (one core and both cores), then `telemetry run`
 * itself on the same events as an NDJSON file (by default and with workers) and Parquet staging. Checks that every
 * implementation produced the same rows, prints the table and writes bench/results/bench-<N>.{json,md}.
 */

import { once } from 'node:events';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { defaultWorkers } from '../src/process/FlattenPool.js';
import { generateSampleItems } from '../src/sample/generateSample.js';
import type { ChildResult } from './lib/childResult.js';
import { type BenchResults, type BenchRow, formatMarkdown } from './lib/formatReport.js';
import { listRawFiles } from './lib/listRawFiles.js';
import { machineInfo } from './lib/machineInfo.js';
import { ndjsonChecksum } from './lib/ndjsonChecksum.js';
import { hasTaskset, runChild } from './lib/runChild.js';

const HELP = `Usage: npm run bench -- [--events N] [--batch N] [--work-dir DIR] [--keep] [--skip-python]

  --events N      events to generate (default 200000)
  --batch N       records per capture batch (default 10000)
  --work-dir DIR  where the data goes (default: a new folder under the OS temp dir, removed afterwards)
  --keep          keep the work folder
  --skip-python   leave out the Python anchor
  --out DIR       results folder (default bench/results)
`;

/**
 * Node flags and batch size of our process + load: what `telemetry run` uses (bin/telemetry.js re-runs the CLI
 * with this heap cap and young generation; `--batch-events` defaults to 10,000), so the rows measure the command.
 */
const OURS_NODE_FLAGS = ['--max-old-space-size=384', '--max-semi-space-size=8'];
const OURS_BATCH_EVENTS = '10000';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '10000' },
    'work-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-python': { type: 'boolean', default: false },
    out: { type: 'string', default: join(here, 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const events = Number(values.events);
const batch = Number(values.batch);
for (const [name, n] of [
  ['events', events],
  ['batch', batch],
] as const) {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number`);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Children are bundled once (dependencies stay external), so no loader runs inside a measured process. */
async function buildChildren(): Promise<string> {
  const outdir = join(root, '.tmp', 'bench-build');
  const options = {
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  } as const;
  const children = [
    'captureChild',
    'floorChild',
    'duckdbStrongChild',
    'duckdbNativeChild',
    'oursChild',
    'parquetChild',
    'telemetryRunChild',
  ];
  await build({
    ...options,
    entryPoints: children.map((n) => join(here, 'children', `${n}.ts`)),
    outExtension: { '.js': '.mjs' },
  });
  // FlattenPool and the capture thread start their workers from beside the bundle that uses them.
  await build({
    ...options,
    entryPoints: {
      flattenWorker: join(root, 'src', 'process', 'flattenWorker.ts'),
      captureWorker: join(root, 'src', 'cli', 'captureWorker.ts'),
    },
  });
  return outdir;
}

const workDir = values['work-dir']
  ? resolve(values['work-dir'])
  : mkdtempSync(join(tmpdir(), 'telemetry-bench-'));
mkdirSync(workDir, { recursive: true });
const started = Date.now();
try {
  const bin = await buildChildren();
  const child = (
    name: string,
    args: readonly string[],
    cpus?: string,
    nodeFlags: readonly string[] = [],
  ): Promise<ChildResult> =>
    runChild(process.execPath, [...nodeFlags, join(bin, `${name}.mjs`), ...args], cpus);

  const source = join(workDir, 'source');
  rmSync(source, { recursive: true, force: true });
  log(`generating and capturing ${events} events in batches of ${batch}...`);
  const capture = await child(
    'captureChild',
    [
      '--events',
      String(events),
      '--batch',
      String(batch),
      '--data-dir',
      source,
      '--raw-prefix',
      'raw/telemetry/',
    ],
    undefined,
    ['--expose-gc'],
  );
  const rawDir = join(source, 'raw');
  const raw = listRawFiles(rawDir);

  log('floor: JSON.parse of every line and body...');
  const floor = await child('floorChild', ['--raw-dir', rawDir]);
  const rawBytes = Number(floor.extra?.uncompressedChars ?? 0);

  log('anchor: strong DuckDB (one map per event, one extraction per column)...');
  const strongDir = join(workDir, 'strong');
  rmSync(strongDir, { recursive: true, force: true });
  mkdirSync(strongDir);
  const strong = await child('duckdbStrongChild', ['--raw-dir', rawDir, '--work-dir', strongDir]);
  rmSync(strongDir, { recursive: true, force: true });

  log('anchor: DuckDB-native SQL (pivot)...');
  const anchorDir = join(workDir, 'anchor');
  rmSync(anchorDir, { recursive: true, force: true });
  mkdirSync(anchorDir);
  const duck = await child('duckdbNativeChild', ['--raw-dir', rawDir, '--work-dir', anchorDir]);
  rmSync(anchorDir, { recursive: true, force: true });

  let python: ChildResult | undefined;
  const machine = machineInfo();
  if (machine.python === 'unavailable') log('python3 not found: the Python anchor is left out');
  if (!values['skip-python'] && machine.python !== 'unavailable') {
    log('anchor: pure Python...');
    const out = join(workDir, 'python.ndjson');
    python = await runChild('python3', [join(here, 'anchors', 'seed_flatten.py'), rawDir, out]);
    python = { ...python, ...(await ndjsonChecksum(out)) };
    rmSync(out, { force: true });
  }

  const ours = async (label: string, args: readonly string[], cpus?: string): Promise<ChildResult> => {
    log(`ours: process + load (${label})...`);
    const dir = join(workDir, `ours-${label.replace(/\W+/g, '-')}`);
    rmSync(dir, { recursive: true, force: true });
    cpSync(rawDir, join(dir, 'raw'), { recursive: true });
    try {
      return await child(
        'oursChild',
        ['--data-dir', dir, '--max-events', OURS_BATCH_EVENTS, ...args],
        cpus,
        OURS_NODE_FLAGS,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const pin = hasTaskset();
  const oursOne = await ours('1 core', ['--workers', '0'], pin ? '0' : undefined);
  // Not pinned: DuckDB's threads and the zlib thread pool can use the second core.
  const oursInThread = await ours('all cores, flattening on the main thread', ['--workers', '0']);
  // `telemetry run --workers N`: flattening in one worker thread per core (FlattenPool).
  const oursBoth = await ours('all cores, flattening in workers', ['--workers', String(defaultWorkers())]);

  // Step 6: `telemetry run` itself, on the bench's events as an NDJSON file (the items as the table stores them,
  // the same events the capture child turned into stream records), written untimed.
  const inputFile = join(workDir, 'input.ndjson');
  log('writing the events as an NDJSON input file (untimed)...');
  const out = createWriteStream(inputFile);
  for (const item of generateSampleItems({ vehicles: 25, events, seed: 7 })) {
    if (!out.write(`${JSON.stringify(item)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const telemetryRun = async (workers: number): Promise<ChildResult> => {
    log(`ours: telemetry run --workers ${workers}, end to end...`);
    const dir = join(workDir, `run-${workers}`);
    rmSync(dir, { recursive: true, force: true });
    try {
      return await runChild(
        process.execPath,
        [
          ...OURS_NODE_FLAGS,
          join(bin, 'telemetryRunChild.mjs'),
          '--input',
          inputFile,
          '--data-dir',
          dir,
          '--workers',
          String(workers),
        ],
        undefined,
        { ...process.env, MALLOC_ARENA_MAX: '2' }, // as bin/telemetry.js runs the CLI
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const runDefault = await telemetryRun(0);
  const runWorkers = await telemetryRun(defaultWorkers());
  rmSync(inputFile, { force: true });

  log('ours: Parquet staging of one load batch...');
  const parquetDir = join(workDir, 'parquet');
  rmSync(parquetDir, { recursive: true, force: true });
  for (const file of raw.files.slice(0, 2)) cpSync(file, join(parquetDir, 'raw', relative(rawDir, file)));
  const parquet = await child('parquetChild', ['--data-dir', parquetDir], undefined, OURS_NODE_FLAGS);
  rmSync(parquetDir, { recursive: true, force: true });

  const reference = strong;
  const perSecond = (r: ChildResult): number => events / r.seconds;
  const row = (
    id: string,
    step: string,
    implementation: string,
    cores: string,
    r: ChildResult,
    notes: string,
  ): BenchRow => ({
    id,
    step,
    implementation,
    cores,
    seconds: r.seconds,
    eventsPerSecond: perSecond(r),
    mbPerSecond: rawBytes / 1e6 / r.seconds,
    peakRssMb: r.peakRssMb,
    ...(r.rows !== undefined ? { rows: r.rows } : {}),
    ...(r.checksum !== undefined ? { checksum: r.checksum } : {}),
    ...(r.columns !== undefined ? { columns: r.columns } : {}),
    check:
      r.checksum === undefined
        ? ''
        : r.checksum === reference.checksum && r.rows === reference.rows
          ? 'same rows'
          : 'MISMATCH',
    vsDuckDb: perSecond(r) / perSecond(strong),
    ...(python ? { vsPython: perSecond(r) / perSecond(python) } : {}),
    notes,
  });
  const capMedian = Number(capture.extra?.msPerBatchMedian ?? 0);
  const capMax = Number(capture.extra?.msPerBatchMax ?? 0);
  const capCpu = Number(capture.extra?.cpuMsPerBatchMedian ?? 0);
  // Lambda hands a function at most 6 MB of event per invocation (the synchronous payload limit), whatever the
  // batch size setting: what one real invocation's share of the measured batch takes.
  const capPayloadMb = Number(capture.extra?.payloadMbPerBatchMedian ?? 0);
  const lambdaRecords = capPayloadMb > 0 ? Math.floor((batch * 6) / capPayloadMb) : 0;
  const lambdaMs = capPayloadMb > 0 ? (capMedian * 6) / capPayloadMb : 0;
  const oursBest = [oursOne, oursInThread, oursBoth].reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const endToEnd = runWorkers.seconds < runDefault.seconds ? runWorkers : runDefault;
  const rows: BenchRow[] = [
    row('floor', '1 floor', 'gunzip + JSON.parse (lines and bodies)', '1', floor, ''),
    row(
      'duckdb-strong',
      '2 anchor',
      'strong DuckDB SQL (main anchor)',
      'all',
      strong,
      `read_json + one map per event + one JSON extraction per planned column in one CREATE TABLE AS; plan of ${strong.extra?.plannedColumns} columns from the first ${strong.extra?.planFiles} objects, untimed (${strong.extra?.planMs} ms)`,
    ),
    row(
      'duckdb',
      '2 anchor',
      'DuckDB-native SQL (pivot)',
      'all',
      duck,
      `read_json + unnest + json_each + PIVOT + CREATE TABLE; steps ms ${JSON.stringify(duck.extra?.stepsMs ?? {})}; ${duck.columns} signal columns`,
    ),
    ...(python
      ? [
          row(
            'python',
            '3 anchor',
            'pure Python (stdlib json)',
            '1',
            python,
            `${python.columns} signal columns`,
          ),
        ]
      : []),
    row(
      'capture',
      '4 ours',
      'capture Lambda handler (makeCaptureHandler)',
      '1',
      capture,
      `${capture.extra?.batches} batches of ${batch} records: median ${capMedian.toFixed(0)} ms, max ${capMax.toFixed(0)} ms per batch (median CPU ${capCpu.toFixed(0)} ms, JS + zlib threads); ${(Number(capture.extra?.bytesWritten ?? 0) / 1e6).toFixed(1)} MB written; RSS includes event generation; event payload ${capPayloadMb.toFixed(0)} MB per batch, so a 6 MB Lambda payload holds ~${lambdaRecords} records: ~${lambdaMs.toFixed(0)} ms at the measured rate`,
    ),
    row(
      'ours-1',
      '5 ours',
      'process + load -> DuckDB',
      pin ? '1 (pinned)' : '1 (not pinned: no taskset)',
      oursOne,
      `${oursOne.extra?.batches} batches; ${oursOne.columns} signal columns; node ${OURS_NODE_FLAGS.join(' ')}`,
    ),
    row(
      'ours-n0',
      '5 ours',
      'process + load -> DuckDB, flattening on the main thread (the default)',
      'all',
      oursInThread,
      `${oursInThread.extra?.batches} batches; not pinned (DuckDB threads and zlib can use every core; flattening stays on one thread)`,
    ),
    row(
      'ours-n',
      '5 ours',
      `process + load -> DuckDB, flattening in ${defaultWorkers()} worker threads (--workers ${defaultWorkers()})`,
      'all',
      oursBoth,
      `${oursBoth.extra?.batches} batches; FlattenPool workers parse and flatten objects ahead, the main thread merges and loads`,
    ),
    row(
      'run',
      '6 ours',
      '`telemetry run` end to end: capture + process + load (the default)',
      'all',
      runDefault,
      `${runDefault.extra?.objects} raw objects, ${runDefault.extra?.batches} batches; input: the events as an NDJSON file; capture alongside processing (on a thread of its own from 96 MiB of input); CLI node flags and MALLOC_ARENA_MAX=2`,
    ),
    row(
      'run-n',
      '6 ours',
      `\`telemetry run --workers ${defaultWorkers()}\` end to end`,
      'all',
      runWorkers,
      `${runWorkers.extra?.batches} batches; capture thread + ${defaultWorkers()} flattening threads + the main thread merging and loading`,
    ),
  ];
  const checked = rows.filter((x) => x.checksum !== undefined);
  const allSame = checked.every((x) => x.check === 'same rows');
  // The target is about `telemetry run` as it runs by default (flattening on the main thread); the worker row,
  // opt-in, is printed beside it.
  const defaultRss = Math.max(oursOne.peakRssMb, oursInThread.peakRssMb, runDefault.peakRssMb);
  const vsStrong = (r: ChildResult): number => perSecond(r) / perSecond(strong);
  const parquetRate = Number(parquet.extra?.rowsPerSecond ?? 0);
  const captureCpuPer1000 = (capCpu / batch) * 1000;
  const targets = [
    {
      target: 'process + load -> DuckDB >= 0.5x strong DuckDB',
      measured: `${vsStrong(oursBest).toFixed(2)}x (${perSecond(oursBest).toFixed(0)} vs ${perSecond(strong).toFixed(0)} events/s; pivot anchor ${perSecond(duck).toFixed(0)})`,
      met: vsStrong(oursBest) >= 0.5,
    },
    {
      target: '`telemetry run` end to end >= 0.35x strong DuckDB',
      measured: `${vsStrong(endToEnd).toFixed(2)}x (${perSecond(endToEnd).toFixed(0)} events/s${endToEnd === runWorkers ? `, --workers ${defaultWorkers()}` : ''}; by default ${vsStrong(runDefault).toFixed(2)}x)`,
      met: vsStrong(endToEnd) >= 0.35,
    },
    {
      target: `peak RSS <= 512 MB (1,000,000 events; here at ${events.toLocaleString('en-US')})`,
      measured: `${defaultRss.toFixed(0)} MB by default (main thread; \`telemetry run\` ${runDefault.peakRssMb.toFixed(0)}); ${Math.max(oursBoth.peakRssMb, runWorkers.peakRssMb).toFixed(0)} MB with --workers ${defaultWorkers()}`,
      met: defaultRss <= 512,
    },
    {
      target: 'Parquet staging >= 25,000 rows/s at ~300 columns',
      measured: `${parquetRate.toLocaleString('en-US')} rows/s (${parquet.records} rows, ${parquet.extra?.columns} columns, ${(Number(parquet.extra?.bytes ?? 0) / 1e6).toFixed(1)} MB)`,
      met: parquetRate >= 25_000,
    },
    {
      target: 'capture <= 150 CPU ms per 1,000 records',
      measured: `${captureCpuPer1000.toFixed(0)} ms (median ${capMedian.toFixed(0)} ms wall per ${batch}-record batch)`,
      met: captureCpuPer1000 <= 150,
    },
    ...(python
      ? [
          {
            target: 'process + load >= 10x Python (older target)',
            measured: `${(perSecond(oursBest) / perSecond(python)).toFixed(2)}x`,
            met: perSecond(oursBest) / perSecond(python) >= 10,
          },
        ]
      : []),
  ];
  const results: BenchResults = {
    date: new Date().toISOString(),
    events,
    rawObjects: raw.files.length,
    rawGzMb: raw.bytes / 1e6,
    rawMb: rawBytes / 1e6,
    machine: machineInfo(),
    rows,
    targets,
    allSame,
  };
  const markdown = formatMarkdown(results);
  process.stdout.write(`\n${markdown}\n`);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, `bench-${events}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(values.out, `bench-${events}.md`), markdown);
  log(
    `results: ${join(values.out, `bench-${events}.{json,md}`)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (!allSame) process.exitCode = 1;
} finally {
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
}
