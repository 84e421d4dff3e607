import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { expandInputSources, type InputSources } from '../adapters/fs/expandInputSources.js';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import type { ExportCaptureSummary } from '../backfill/captureExport.js';
import { openSink as openRegisteredSink } from '../compose/openSink.js';
import { resolveDatabricksEnv } from '../config/databricksProfile.js';
import {
  bucketSetting,
  formatSetting,
  missingDatabricksSettings,
  parseVolumePath,
  volumeSetting,
} from '../config/databricksSettings.js';
import { ConfigError } from '../core/errors.js';
import type { TableSink } from '../ports/TableSink.js';
import { ObjectFeed } from '../process/ObjectFeed.js';
import { type ProcessSummary, reconciles } from '../process/ProcessSummary.js';
import { processPending } from '../process/processPending.js';
import { type CliIO, type Command, UsageError, wholeNumberOption } from './CliIO.js';
import { captureExports } from './captureExports.js';
import {
  type CaptureCallbacks,
  type CaptureJob,
  captureInThread,
  captureJob,
  worthAThread,
} from './captureJob.js';
import { isRecaptured, recapturedKeys } from './countRecaptured.js';
import { lockDataDir } from './dataDirLock.js';
import { faultInjector } from './faults.js';
import { type LocalLayout, localLayout, TABLE_NAME } from './localLayout.js';
import { progressReporter } from './progress.js';
import { formatRunSummary, quarantinedAny, type RunSummary } from './runSummary.js';

const HELP = `Usage: telemetry run [--input PATH]... [--data-dir DIR] [--sink duckdb|databricks [--stage-volume PATH]] [--json]

Runs the whole pipeline locally: capture (input -> raw gzip NDJSON objects under DIR/raw/telemetry/YYYY/MM/DD/HH/),
process (flatten, quarantine bad records), load (DuckDB file DIR/warehouse.duckdb, table ${TABLE_NAME}),
archive (raw objects move to DIR/archive/ once loaded). Re-running the same input leaves the table unchanged.
Capture and process run side by side: each raw object is processed once written (an input of 96 MiB or more is
captured on a thread of its own meanwhile).

Options:
  --input PATH     file or folder (.json, .ndjson, .jsonl, .ndjson.gz), repeatable; '-' reads NDJSON from standard
                   input, a named pipe is read once; without it: generated sample events. A DynamoDB export folder
                   (AWSDynamoDB/<export-id>/, or its manifest-summary.json) is read through its manifests: its
                   data/*.json.gz parts are streamed and the item counts checked against the manifest
  --data-dir DIR   data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --sink NAME      duckdb (default) or databricks: stages Parquet (to s3://$TELEMETRY_BUCKET/staged/ when set) and
                   loads it through the SQL Statement API; see docs/databricks.md. A real workspace cannot read the
                   local data folder: without TELEMETRY_BUCKET or a volume (or with settings missing) the run stops
                   before doing anything and lists what to set
  --stage-volume PATH  with --sink databricks: stage to this Unity Catalog volume through the workspace's Files API
                   instead (default $TELEMETRY_DATABRICKS_VOLUME), e.g. /Volumes/main/telemetry/staging: no bucket
                   or AWS account needed; see docs/databricks.md#from-a-laptop-stage-to-a-volume
  --events N       sample size when no --input is given (default 3000)
  --batch-events N events per load transaction (default 10000; bounds memory)
  --workers N      threads that flatten raw objects (default 0: main thread; 2 on 2 cores: ~1.4x, ~1.35x the memory)
  --json           print the summary as JSON
  --wait           wait for another run using the same data folder to finish (default: stop with its PID)
  --fail-on-quarantine  exit 1 when any record or damaged input file was quarantined (default: only when nothing
                   could be read; a damaged file's records before the damage load, the rest is quarantined with its
                   offset). The summary says where quarantined records are (DIR/quarantine/telemetry/)
  --strict         the older name of --fail-on-quarantine
`;

/** Records per raw object: like one capture Lambda invocation. */
const CAPTURE_CHUNK = 5000;

/**
 * The Databricks sink stages Parquet where the warehouse can read it: the Unity Catalog volume when one was chosen
 * (`--stage-volume`, TELEMETRY_DATABRICKS_VOLUME; checked by {@link checkDatabricksRun}); else the S3 bucket in
 * TELEMETRY_BUCKET (and TELEMETRY_S3_ENDPOINT) when set; otherwise the local data folder, which only a Databricks
 * fake can read.
 */
async function openSink(
  name: string,
  io: CliIO,
  store: FsObjectStore,
  warehouse: string,
  stagedPrefix: string,
  stageVolume: string | undefined,
): Promise<TableSink> {
  if (name === 'databricks' && stageVolume) {
    return openRegisteredSink('databricks', {
      stageVolume,
      stagedPrefix: io.env.TELEMETRY_STAGED_PREFIX ?? stagedPrefix,
      env: resolveDatabricksEnv(io.env),
    }) as Promise<TableSink>;
  }
  if (name === 'databricks') {
    const bucket = io.env.TELEMETRY_BUCKET;
    if (!bucket) {
      io.stderr.write(
        'telemetry run: TELEMETRY_BUCKET is not set: staging Parquet in the local data folder (a real workspace cannot read it)\n',
      );
      return openRegisteredSink('databricks', {
        store,
        stagedPrefix,
        env: resolveDatabricksEnv(io.env),
      }) as Promise<TableSink>;
    }
    const { S3ObjectStore } = await import('../adapters/s3/S3ObjectStore.js');
    const endpoint = io.env.TELEMETRY_S3_ENDPOINT;
    const staging = new S3ObjectStore({ bucket, ...(endpoint ? { endpoint } : {}) });
    return openRegisteredSink('databricks', {
      store: staging,
      stagedPrefix: io.env.TELEMETRY_STAGED_PREFIX ?? stagedPrefix,
      env: resolveDatabricksEnv(io.env),
    }) as Promise<TableSink>;
  }
  const sink = await openRegisteredSink(name, {
    warehouse,
    store,
    stagedPrefix,
    env: resolveDatabricksEnv(io.env),
  });
  if (sink) return sink;
  throw new UsageError(`unknown sink '${name}' (expected duckdb or databricks)`);
}

/**
 * `--sink databricks` that cannot work stops before capturing anything: settings missing, a volume path that is not
 * one, or a real (not loopback) workspace with nowhere it could read the staged Parquet from (no volume, no bucket).
 * Answers the chosen volume path (normalised), if any.
 */
function checkDatabricksRun(io: CliIO, volumeOption: string | undefined): string | undefined {
  const env = resolveDatabricksEnv(io.env);
  const missing = missingDatabricksSettings(env);
  const host = env.TELEMETRY_DATABRICKS_HOST?.trim() ?? '';
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]?/.test(host);
  const volumeValue = volumeOption ?? (io.env.TELEMETRY_DATABRICKS_VOLUME?.trim() || undefined);
  const volume = volumeValue === undefined ? undefined : parseVolumePath(volumeValue);
  if (volume && 'problem' in volume) missing.push(volumeSetting(volume.problem));
  if (missing.length === 0 && !loopback && !volume && !io.env.TELEMETRY_BUCKET?.trim())
    missing.push(
      bucketSetting(`not set: the workspace at ${host} cannot read Parquet staged in the local data folder`),
      volumeSetting('not set either (from a laptop, instead of a bucket: a volume the workspace reads)'),
    );
  if (missing.length)
    throw new ConfigError(
      `--sink databricks cannot work yet (nothing was done):\n${missing.map((m) => `  ${formatSetting(m)}`).join('\n')}`,
    );
  return volume && 'path' in volume ? volume.path : undefined;
}

export const runCommand: Command = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      input: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      sink: { type: 'string', default: 'duckdb' },
      'stage-volume': { type: 'string' },
      events: { type: 'string', default: '3000' },
      'batch-events': { type: 'string', default: '10000' },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      'fail-on-quarantine': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const events = wholeNumberOption('events', values.events, 0);
  const batchEvents = wholeNumberOption('batch-events', values['batch-events'], 1);
  const workers = values.workers === undefined ? 0 : wholeNumberOption('workers', values.workers, 0);
  const layout = localLayout(values['data-dir'], io);
  const sources: InputSources = values.input
    ? await expandInputSources(values.input)
    : { files: [], exports: [], unlisted: [] };
  if (values.input && sources.files.length === 0 && sources.exports.length === 0)
    throw new UsageError('no input files (.json, .ndjson, .jsonl, .ndjson.gz) or DynamoDB export found');
  for (const f of sources.unlisted)
    io.stderr.write(`telemetry run: ${f} is inside a DynamoDB export but not in its manifest: not read\n`);

  if (values['stage-volume'] !== undefined && values.sink !== 'databricks')
    throw new UsageError('--stage-volume is for --sink databricks');
  const stageVolume =
    values.sink === 'databricks' ? checkDatabricksRun(io, values['stage-volume']) : undefined;
  const release = await lockDataDir(layout.dataDir, 'run', { wait: values.wait, signal: io.signal });
  try {
    const failOnQuarantine = values['fail-on-quarantine'] || values.strict;
    return await runLocked(
      { ...values, failOnQuarantine, stageVolume, workers },
      io,
      layout,
      sources,
      events,
      batchEvents,
    );
  } finally {
    release();
  }
};

/** What capture did, the input (files or sample) and the DynamoDB exports together. */
interface Captured {
  readonly exports: ExportCaptureSummary[];
  readonly records: number;
  readonly objects: number;
  readonly bytes: number;
  /** Inputs damaged part-way (their records before the damage were captured). */
  readonly damaged: number;
}

/**
 * Captures the run's input into raw objects: the files or sample events (on a thread of their own when the input
 * is worth it, see worthAThread), then the DynamoDB exports; `onObject` hears of each object once written.
 */
async function captureAll(
  job: CaptureJob,
  exportDirs: InputSources['exports'],
  store: FsObjectStore,
  io: CliIO,
  callbacks: Pick<CaptureCallbacks, 'onObject' | 'shouldStop'>,
): Promise<Captured> {
  const capturing = progressReporter(io.stderr, { label: 'capturing', unit: 'records' });
  const events = 'sample' in job.input ? job.input.sample : undefined;
  const onRecord = (n: number) => capturing.update(n, events);
  const input = await (worthAThread(job) ? captureInThread : captureJob)(job, { ...callbacks, onRecord });
  capturing.done();
  const exports = await captureExports(
    exportDirs,
    store,
    { rawPrefix: job.rawPrefix, chunkSize: job.chunkSize, ...callbacks },
    io,
  );
  const sum = (f: (e: ExportCaptureSummary) => number) => exports.reduce((n, e) => n + f(e), 0);
  return {
    exports,
    records: input.records + sum((e) => e.records),
    objects: input.objects + sum((e) => e.objects),
    bytes: input.bytes + sum((e) => e.bytes),
    damaged: input.damaged + sum((e) => e.damaged),
  };
}

async function runLocked(
  values: {
    input?: string[] | undefined;
    sink: string;
    json: boolean;
    failOnQuarantine: boolean;
    stageVolume: string | undefined;
    workers: number;
  },
  io: CliIO,
  layout: LocalLayout,
  sources: InputSources,
  events: number,
  batchEvents: number,
): Promise<number> {
  const store = new FsObjectStore(layout.dataDir);
  const fault = faultInjector(io.env);
  const started = Date.now();
  const chunkSize = Math.min(CAPTURE_CHUNK, batchEvents);
  // Raw objects the archive already holds: the same input captured again (see countRecaptured).
  const recaptured = await recapturedKeys(store, layout);
  const sink = await openSink(
    values.sink,
    io,
    store,
    layout.warehouse,
    layout.stagedPrefix,
    values.stageVolume,
  );

  // Capture and process run side by side, as the capture and process Lambdas do: each raw object is announced to
  // process once written, and process reads it (when it is done with earlier ones) while capture reads on.
  const feed = new ObjectFeed();
  let processingFailed = false;
  const stop = (): boolean => io.signal?.aborted === true || processingFailed;
  const onObject = async (key: string): Promise<void> => {
    if (!recaptured.has(key) && (await isRecaptured(store, layout, key))) recaptured.add(key);
    feed.push(key);
  };
  const job: CaptureJob = {
    dataDir: layout.dataDir,
    rawPrefix: layout.rawPrefix,
    chunkSize,
    snapshotTime: started,
    input: values.input ? { files: sources.files } : { sample: events },
    fault: io.env.TELEMETRY_FAULT,
  };
  let inputRecords: number | undefined;
  const capture = captureAll(job, sources.exports, store, io, { onObject, shouldStop: stop }).then(
    (captured) => {
      inputRecords = captured.records;
      feed.end();
      return captured;
    },
    (error: unknown) => {
      feed.fail(error);
      throw error;
    },
  );
  capture.catch(() => undefined); // surfaced through the feed (processing fails with it) and awaited below
  // Progress of processing shows once capture is done (one line at a time); its rate counts from the start.
  const processing = progressReporter(io.stderr, { label: 'processing', unit: 'records' });
  let processed: ProcessSummary;
  try {
    processed = await processPending(
      { store, sink },
      {
        rawPrefix: layout.rawPrefix,
        archivePrefix: layout.archivePrefix,
        quarantinePrefix: layout.quarantinePrefix,
        maxEventsPerBatch: batchEvents,
        workers: values.workers,
        incoming: feed,
        shouldStop: () => io.signal?.aborted === true,
        checkpoint: fault,
        onProgress: (s) => {
          if (inputRecords !== undefined) processing.update(s.records, inputRecords);
        },
      },
    );
  } catch (error) {
    processingFailed = true;
    await capture.catch(() => undefined); // stopped at its next record; the error to report is processing's
    throw error;
  } finally {
    await sink.close();
  }
  const { exports, records, objects, bytes, damaged } = await capture;
  processing.done();
  const seconds = (Date.now() - started) / 1000;
  const summary: RunSummary = {
    dataDir: layout.dataDir,
    table: values.sink === 'duckdb' ? `${layout.warehouse} :: ${TABLE_NAME}` : 'databricks',
    input: {
      files: sources.files.length,
      records,
      sample: !values.input,
      exports,
    },
    capture: { objects, bytes },
    process: processed,
    recaptured: recaptured.size,
    quarantine: join(layout.dataDir, layout.quarantinePrefix),
    reconciled: reconciles(processed),
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(processed.records / seconds) : processed.records,
  };
  io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatRunSummary(summary));
  const nothingRead = damaged > 0 && damaged === records;
  const strictFailure = values.failOnQuarantine && quarantinedAny(processed);
  const exportsRead = exports.every((e) => e.reconciled);
  return summary.reconciled && exportsRead && !nothingRead && !strictFailure ? 0 : 1;
}
