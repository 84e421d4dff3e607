import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { openSink, SINKS } from '../compose/openSink.js';
import { resolveDatabricksEnv } from '../config/databricksProfile.js';
import { PipelineError } from '../core/errors.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { type ProcessSummary, reconciles } from '../process/ProcessSummary.js';
import { acquireLease, LEASE_TTL_MS, type LeaseOutcome, leaseKey } from '../process/processLease.js';
import { processPending } from '../process/processPending.js';
import { openBucketLayout } from './bucketLayout.js';
import { type Command, UsageError, wholeNumberOption } from './CliIO.js';
import { alreadyLoaded, countRecaptured } from './countRecaptured.js';
import { lockDataDir } from './dataDirLock.js';
import { localLayout, TABLE_NAME } from './localLayout.js';
import { progressReporter } from './progress.js';
import { quarantinedAny } from './runSummary.js';

const HELP = `Usage: telemetry process [--data-dir DIR] [--bucket B [--endpoint URL]] [--sink duckdb|databricks] [--json]

Processes the pending raw objects once: flatten, quarantine bad records, load, archive after the load committed.
Without --bucket the objects are read from the data folder (raw/telemetry/ -> archive/telemetry/); with --bucket
from S3 or any S3-compatible server (telemetry/ -> archive/telemetry/, as the capture Lambda writes them). On a
bucket it first takes the process Lambda's single-writer lease (<staged prefix>_leases/process.json): while another
run holds it, it stops with exit 1 and names the holder.

Options:
  --data-dir DIR    data folder; holds the DuckDB file DIR/warehouse.duckdb
                    (default $TELEMETRY_DATA_DIR, else ./data)
  --bucket B        read raw objects from this bucket instead of the data folder
  --endpoint URL    S3-compatible endpoint (e.g. the one \`telemetry dev\` prints; default TELEMETRY_S3_ENDPOINT,
                    else AWS S3). Prefixes follow TELEMETRY_RAW_PREFIX etc. when set, as in the Lambdas
  --raw-prefix P    where pending raw objects are (default raw/telemetry/ locally, telemetry/ in a bucket)
  --sink NAME       duckdb (default) or databricks (TELEMETRY_DATABRICKS_* settings, see docs/databricks.md)
  --batch-events N  events per load transaction (default 10000; bounds memory)
  --workers N       threads that flatten raw objects (default 0: main thread; 2 on 2 cores: ~1.4x, ~1.35x the memory)
  --json            print the summary as JSON
  --wait            wait for another run using the same data folder to finish (default: stop with its PID)
  --fail-on-quarantine  exit 1 when any record or object was quarantined (the summary says where they are)
`;

/**
 * One line per outcome, for the CLI and the `telemetry dev` loop; `recaptured`: how many of the objects found
 * already loaded were the same input read again (see countRecaptured), when known.
 */
export function formatProcessSummary(s: ProcessSummary, recaptured?: number): string {
  const parts = [
    `${s.records} records from ${s.objects} object(s)`,
    `${s.inserted} inserted`,
    `${s.updated} updated`,
    `${s.unchanged} unchanged`,
    `${s.deleted} deleted`,
    `${s.skipped} skipped`,
    `${s.quarantined} quarantined`,
  ];
  if (s.staged) parts.push(`${s.staged} staged`);
  if (s.objectsRecovered) parts.push(alreadyLoaded(s.objectsRecovered, recaptured));
  if (s.objectsQuarantined) parts.push(`${s.objectsQuarantined} unreadable object(s) quarantined`);
  if (s.columnsAdded.length) parts.push(`${s.columnsAdded.length} column(s) added`);
  if (s.stoppedEarly) parts.push('stopped early');
  return parts.join(', ');
}

export const processCommand: Command = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      'raw-prefix': { type: 'string' },
      sink: { type: 'string', default: 'duckdb' },
      'batch-events': { type: 'string', default: '10000' },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      'fail-on-quarantine': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const batchEvents = wholeNumberOption('batch-events', values['batch-events'], 1);
  const workers = values.workers === undefined ? 0 : wholeNumberOption('workers', values.workers, 0);
  if (values.endpoint && !values.bucket) throw new UsageError('--endpoint needs --bucket');
  const layout = localLayout(values['data-dir'], io);
  let store: ObjectStore;
  let prefixes: { rawPrefix: string; archivePrefix: string; quarantinePrefix: string; stagedPrefix: string };
  if (values.bucket) {
    const { store: bucket, ...cloud } = await openBucketLayout(values.bucket, values.endpoint, io.env);
    prefixes = { ...cloud, rawPrefix: values['raw-prefix'] ?? cloud.rawPrefix };
    store = bucket;
  } else {
    prefixes = { ...layout, rawPrefix: values['raw-prefix'] ?? layout.rawPrefix };
    store = new FsObjectStore(layout.dataDir);
  }
  if (!/^([^/]+\/)*$/.test(prefixes.rawPrefix)) throw new UsageError('--raw-prefix must end with "/"');

  const release = await lockDataDir(layout.dataDir, 'process', { wait: values.wait, signal: io.signal });
  let sink: TableSink;
  let summary: ProcessSummary;
  let lease: LeaseOutcome | undefined;
  let recaptured: number | undefined;
  try {
    // On a bucket, the process Lambda may be running: take the same single-writer lease it takes.
    if (store instanceof S3ObjectStore) {
      const key = leaseKey(prefixes.stagedPrefix);
      lease = await acquireLease(store, key, {
        owner: `telemetry-cli@${hostname()}:${process.pid}`,
        ttlMs: LEASE_TTL_MS,
      });
      if (!lease.acquired) {
        throw new PipelineError(
          `another process run (${lease.heldBy.owner}) holds the lease on ${store.describe(key)} until ${new Date(lease.heldBy.expiresAt).toISOString()}: try again when it has finished`,
          { terminal: true },
        );
      }
    }
    const opened = await openSink(String(values.sink), {
      warehouse: layout.warehouse,
      store,
      stagedPrefix: prefixes.stagedPrefix,
      env: resolveDatabricksEnv(io.env),
    });
    if (!opened)
      throw new UsageError(`unknown sink '${values.sink}' (expected ${Object.keys(SINKS).join(' or ')})`);
    sink = opened;

    // Counting costs a request per pending object: only in the data folder.
    if (store instanceof FsObjectStore) recaptured = await countRecaptured(store, prefixes);
    const progress = progressReporter(io.stderr, { label: 'processing', unit: 'records' });
    try {
      summary = await processPending(
        { store, sink },
        {
          ...prefixes,
          maxEventsPerBatch: batchEvents,
          workers,
          shouldStop: () => io.signal?.aborted === true,
          onProgress: (s) => progress.update(s.records),
        },
      );
    } finally {
      progress.done();
      await sink.close();
    }
  } finally {
    if (lease?.acquired) await lease.release();
    release();
  }
  const target = values.sink === 'duckdb' ? `${layout.warehouse} :: ${TABLE_NAME}` : 'databricks';
  const source = store.describe(prefixes.rawPrefix);
  const quarantine =
    store instanceof FsObjectStore
      ? join(layout.dataDir, prefixes.quarantinePrefix)
      : store.describe(prefixes.quarantinePrefix);
  if (values.json)
    io.stdout.write(`${JSON.stringify({ source, target, quarantine, ...summary }, null, 2)}\n`);
  else
    io.stdout.write(
      `telemetry process: ${source} -> ${target}\n  ${formatProcessSummary(summary, recaptured)}\n${quarantinedAny(summary) ? `  quarantined records are in ${quarantine}\n` : ''}`,
    );
  const failOnQuarantine = values['fail-on-quarantine'] && quarantinedAny(summary);
  return reconciles(summary) && !failOnQuarantine ? 0 : 1;
};
