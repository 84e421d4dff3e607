import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDbSink } from '../adapters/duckdb/DuckDbSink.js';
import { downloadDynamoDbExport } from '../adapters/fs/downloadDynamoDbExport.js';
import { type DynamoDbExport, readDynamoDbExport } from '../adapters/fs/dynamoDbExport.js';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import type { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { scanTable } from '../backfill/scanTable.js';
import { type StartExportOptions, startExport } from '../backfill/startExport.js';
import { DEV_TABLE, LOCAL_CREDENTIALS, LOCAL_REGION } from '../config/localAws.js';
import { type ProcessSummary, reconciles } from '../process/ProcessSummary.js';
import { processPending } from '../process/processPending.js';
import { openBucketLayout } from './bucketLayout.js';
import { type CliIO, type Command, UsageError, wholeNumberOption } from './CliIO.js';
import { captureExports, formatExportLine } from './captureExports.js';
import { countRecaptured } from './countRecaptured.js';
import { lockDataDir } from './dataDirLock.js';
import { faultInjector } from './faults.js';
import { type LocalLayout, localLayout } from './localLayout.js';
import { openS3Store } from './openS3Store.js';
import { formatProcessSummary } from './processCommand.js';
import { progressReporter } from './progress.js';
import { isoTime, quarantinedAny } from './runSummary.js';

const HELP = `Usage: telemetry backfill [--table T] [--endpoint URL] [--segments N] [--max-rcu R] [--data-dir DIR] [--json]
       telemetry backfill --export DIR|s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/ [--data-dir DIR] [--json]
       telemetry backfill --start-export --table-arn ARN --export-bucket B [--export-prefix P] [--data-dir DIR]
                          [--json]
       telemetry backfill ... --bucket B [--bucket-endpoint URL]   (the cloud: raw objects into the bucket)

Loads the items the DynamoDB table already holds (history the 24-hour stream no longer carries): a parallel Scan
(or a DynamoDB export: an existing one, --export, or one this command starts, --start-export) writes raw
objects, then the normal process + load stages run.
Backfilled versions never replace a version that came through the stream, nor resurrect an event the stream
deleted (docs/operations.md, "Backfill"). Interrupted? Run the same command again: each segment resumes from its
checkpoint (DIR/backfill/scan/<table>/). A finished backfill re-run reads nothing; delete that folder to take a
fresh snapshot. An export re-run changes nothing (its items keep their export-time order keys).
With --bucket the raw objects go to the bucket's raw prefix (TELEMETRY_RAW_PREFIX, default telemetry/) and this
command loads nothing: the process function (or \`telemetry process --bucket B\`, or \`telemetry dev\`) loads them
with the same exactly-once rules; the Scan checkpoints live in the bucket too (backfill/scan/<table>/), so a resume
works from any machine.

Options:
  --export DIR|URL  ingest a DynamoDB export to S3 (ExportTableToPointInTime, DYNAMODB_JSON), no DynamoDB access
                    needed: s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/ (copied to DIR/backfill/export/<export-id>/
                    first, streamed, resumable; S3 endpoint: TELEMETRY_S3_ENDPOINT, else AWS) or a local copy of that
                    folder (or its manifest-summary.json). The manifests name the data files (streamed line by
                    line); counts are checked against their itemCount
  --start-export    start a DynamoDB export of --table-arn into --export-bucket (ExportTableToPointInTime,
                    DYNAMODB_JSON; needs point-in-time recovery on the table, the error says so when it is off), wait
                    for it (DescribeExport, progress every --poll-every seconds), then ingest it as --export does
  --table-arn ARN   (start-export) the table's ARN
  --export-bucket B (start-export) the bucket DynamoDB writes the export to (and this command then reads)
  --export-prefix P (start-export) key prefix in that bucket (the export lands under P/AWSDynamoDB/<export-id>/)
  --poll-every S    (start-export) seconds between DescribeExport calls (default 10)
  --table T         DynamoDB table (default ${DEV_TABLE})
  --endpoint URL    DynamoDB endpoint for the Scan or --start-export (e.g. DynamoDB Local from \`telemetry dev\`);
                    default: AWS, region and credentials from the AWS SDK's default chain
  --segments N      parallel Scan segments (default 4)
  --max-rcu R       read capacity units per second for the whole scan (measured with ReturnConsumedCapacity)
  --page-items N    items per Scan page and raw object (default 500)
  --bucket B        write the raw objects (and Scan checkpoints) to this bucket instead of the data folder, for
                    the process function to load
  --bucket-endpoint URL  S3-compatible endpoint of --bucket (e.g. the one \`telemetry dev\` prints; default
                    TELEMETRY_S3_ENDPOINT, else AWS S3); --endpoint is DynamoDB's
  --data-dir DIR    data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --json            print the summary as JSON
  --wait            wait for another run using the same data folder to finish (default: stop with its PID)
  --fail-on-quarantine  exit 1 when any item was quarantined (the summary says where: DIR/quarantine/telemetry/)
`;

/**
 * Where the raw objects go: the data folder (then processed and loaded here) or a bucket, whose process stage (the
 * process function, `telemetry process --bucket`, `telemetry dev`) loads them with the same exactly-once rules.
 */
type Target =
  | { readonly kind: 'local'; readonly store: FsObjectStore; readonly rawPrefix: string }
  | {
      readonly kind: 'bucket';
      readonly store: S3ObjectStore;
      readonly rawPrefix: string;
      readonly bucket: string;
    };

/** What the summary's first line names as the destination. */
const destination = (target: Target, layout: LocalLayout) =>
  target.kind === 'local' ? layout.warehouse : target.store.describe(target.rawPrefix);

/** The end of a backfill: the summary (human or JSON) and the exit code. */
function report(
  io: CliIO,
  layout: LocalLayout,
  target: Target,
  flags: { json: boolean; failOnQuarantine: boolean },
  read: { ok: boolean; line: string; fields: Record<string, unknown> },
  loaded: { processed: ProcessSummary; recaptured: number } | undefined,
): number {
  if (!loaded) {
    const raw = target.store.describe(target.rawPrefix);
    const next =
      target.kind === 'bucket' ? `telemetry process --bucket ${target.bucket}` : 'telemetry process';
    io.stdout.write(
      flags.json
        ? `${JSON.stringify({ ...read.fields, raw, loadedBy: 'process stage', reconciled: read.ok }, null, 2)}\n`
        : `${read.line}\n  raw objects are in ${raw}: the process function loads them (or: ${next})\n`,
    );
    return read.ok ? 0 : 1;
  }
  const { processed, recaptured } = loaded;
  const quarantine = join(layout.dataDir, layout.quarantinePrefix);
  const summary = {
    ...read.fields,
    process: processed,
    recaptured,
    quarantine,
    reconciled: reconciles(processed),
  };
  io.stdout.write(
    flags.json
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `${read.line}\n  processed ${formatProcessSummary(processed, recaptured)}\n${quarantinedAny(processed) ? `  quarantined records are in ${quarantine}\n` : ''}`,
  );
  const failed = flags.failOnQuarantine && quarantinedAny(processed);
  return read.ok && summary.reconciled && !failed ? 0 : 1;
}

/** process + load of what the backfill captured (`records`: the progress total), on the local warehouse. */
async function processCaptured(
  layout: LocalLayout,
  store: FsObjectStore,
  records: number,
  io: CliIO,
): Promise<{ processed: ProcessSummary; recaptured: number }> {
  const recaptured = await countRecaptured(store, layout);
  const sink = await DuckDbSink.open(layout.warehouse);
  const progress = progressReporter(io.stderr, { label: 'loading', unit: 'records' });
  try {
    const processed = await processPending(
      { store, sink },
      {
        ...layout,
        shouldStop: () => io.signal?.aborted === true,
        onProgress: (s) => progress.update(s.records, records || undefined),
      },
    );
    return { processed, recaptured };
  } finally {
    progress.done();
    await sink.close();
  }
}

/** An export in a bucket, copied (streamed, resumable) to DIR/backfill/export/<export-id>/ first. */
async function copyExport(url: string, layout: LocalLayout, io: CliIO): Promise<DynamoDbExport> {
  const m = /^s3:\/\/([^/]+)\/((?:[^/]+\/)*AWSDynamoDB\/([^/]+)\/)?$/.exec(
    url.endsWith('/') ? url : `${url}/`,
  );
  if (!m?.[1] || !m[2] || !m[3])
    throw new UsageError(`--export must look like s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/, got '${url}'`);
  const s3 = await openS3Store(m[1], io.env.TELEMETRY_S3_ENDPOINT?.trim() || undefined, io.env);
  try {
    return await downloadDynamoDbExport(s3, m[2], join(layout.dataDir, 'backfill', 'export', m[3]));
  } finally {
    s3.client.destroy();
  }
}

/** In the data folder the backfill loads what it captured itself; a bucket's process stage loads it there. */
async function loadIfLocal(target: Target, layout: LocalLayout, records: number, io: CliIO) {
  return target.kind === 'local' ? await processCaptured(layout, target.store, records, io) : undefined;
}

/** `backfill --export`: an export folder -> raw objects (export order keys) -> process + load. */
async function backfillExport(
  path: string,
  layout: LocalLayout,
  target: Target,
  flags: { json: boolean; failOnQuarantine: boolean },
  io: CliIO,
): Promise<number> {
  const exp = path.startsWith('s3://') ? await copyExport(path, layout, io) : await readDynamoDbExport(path);
  const chunks = { rawPrefix: target.rawPrefix, chunkSize: 5000 };
  const [captured] = await captureExports([exp], target.store, chunks, io);
  if (!captured) throw new Error('no export read');
  const loaded = await loadIfLocal(target, layout, captured.records, io);
  const line = `telemetry backfill: ${exp.dir} -> ${destination(target, layout)}\n  read      ${formatExportLine(captured)}`;
  const read = { ok: captured.reconciled, line, fields: { export: captured } };
  return report(io, layout, target, flags, read, loaded);
}

export const backfillCommand: Command = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      export: { type: 'string' },
      'start-export': { type: 'boolean', default: false },
      'table-arn': { type: 'string' },
      'export-bucket': { type: 'string' },
      'export-prefix': { type: 'string' },
      'poll-every': { type: 'string', default: '10' },
      table: { type: 'string' },
      endpoint: { type: 'string' },
      segments: { type: 'string', default: '4' },
      'max-rcu': { type: 'string' },
      'page-items': { type: 'string', default: '500' },
      bucket: { type: 'string' },
      'bucket-endpoint': { type: 'string' },
      'data-dir': { type: 'string' },
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
  const segments = wholeNumberOption('segments', values.segments, 1);
  const pageItems = wholeNumberOption('page-items', values['page-items'], 1);
  const maxRcu =
    values['max-rcu'] === undefined ? undefined : wholeNumberOption('max-rcu', values['max-rcu'], 1);
  const table = values.table ?? DEV_TABLE;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) throw new UsageError(`not a DynamoDB table name: '${table}'`);
  if (values.export !== undefined && (values.endpoint !== undefined || values.table !== undefined))
    throw new UsageError('--export reads an export folder: --table and --endpoint are for a Scan');
  const exporting = values['start-export'];
  if (exporting && values.export !== undefined)
    throw new UsageError('--start-export starts a new export; --export ingests an existing one: pick one');
  if (exporting && (!values['table-arn'] || !values['export-bucket']))
    throw new UsageError('--start-export needs --table-arn ARN and --export-bucket BUCKET');
  if (!exporting && (values['table-arn'] ?? values['export-bucket'] ?? values['export-prefix']) !== undefined)
    throw new UsageError('--table-arn, --export-bucket and --export-prefix go with --start-export');
  if (values['bucket-endpoint'] !== undefined && values.bucket === undefined)
    throw new UsageError('--bucket-endpoint needs --bucket');
  const pollMs = wholeNumberOption('poll-every', values['poll-every'], 1) * 1000;
  const layout = localLayout(values['data-dir'], io);
  const target: Target = values.bucket
    ? {
        kind: 'bucket',
        bucket: values.bucket,
        ...(await openBucketLayout(values.bucket, values['bucket-endpoint'], io.env)),
      }
    : { kind: 'local', store: new FsObjectStore(layout.dataDir), rawPrefix: layout.rawPrefix };
  // A Scan into a bucket writes nothing locally (its checkpoints are in the bucket): no data folder to lock.
  const local = target.kind === 'local' || values.export !== undefined || exporting;
  const release = local
    ? await lockDataDir(layout.dataDir, 'backfill', { wait: values.wait, signal: io.signal })
    : () => undefined;
  try {
    const flags = { json: values.json, failOnQuarantine: values['fail-on-quarantine'] };
    if (values.export !== undefined) return await backfillExport(values.export, layout, target, flags, io);
    if (exporting) {
      const source = { tableArn: values['table-arn'] ?? '', bucket: values['export-bucket'] ?? '' };
      const prefix = values['export-prefix'];
      const url = await exportTable(
        { ...source, ...(prefix ? { prefix } : {}), pollMs },
        values.endpoint,
        io,
      );
      return await backfillExport(url, layout, target, flags, io);
    }
    const scanOptions = { segments, pageItems, maxRcu };
    return await backfillScan(table, values.endpoint, scanOptions, layout, target, flags, io);
  } finally {
    release();
    if (target.kind === 'bucket') target.store.client.destroy();
  }
};

/** A DynamoDB client for AWS, or for a local endpoint (DynamoDB Local, moto) with the local credentials. */
async function dynamoDbClient(endpoint: string | undefined) {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const local = endpoint !== undefined && /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint);
  return new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    ...(local ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/** `backfill --start-export`: ExportTableToPointInTime, waited for with progress; returns the export's folder URL. */
async function exportTable(
  options: Omit<StartExportOptions, 'onProgress' | 'shouldStop'>,
  endpoint: string | undefined,
  io: CliIO,
): Promise<string> {
  const ddb = await dynamoDbClient(endpoint);
  const started = Date.now();
  try {
    const done = await startExport(ddb, {
      ...options,
      shouldStop: () => io.signal?.aborted === true,
      onProgress: (s) =>
        io.stderr.write(
          `exporting: ${s.status} after ${Math.round((Date.now() - started) / 1000)} s${s.itemCount !== undefined ? `, ${s.itemCount} items` : ''} (${s.exportArn})\n`,
        ),
    });
    io.stderr.write(`exported: ${done.url}\n`);
    return done.url;
  } finally {
    ddb.destroy();
  }
}

async function backfillScan(
  table: string,
  endpoint: string | undefined,
  options: { segments: number; pageItems: number; maxRcu: number | undefined },
  layout: LocalLayout,
  target: Target,
  flags: { json: boolean; failOnQuarantine: boolean },
  io: CliIO,
): Promise<number> {
  const { segments, pageItems, maxRcu } = options;
  const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const ddb = await dynamoDbClient(endpoint);
  const progress = progressReporter(io.stderr, { label: 'scanning', unit: 'items' });
  try {
    // DynamoDB's item count is refreshed about every six hours: good enough for an ETA, never for a check.
    const described = await ddb.send(new DescribeTableCommand({ TableName: table }));
    const total = described.Table?.ItemCount || undefined;
    const scan = await scanTable(ddb, target.store, {
      table,
      segments,
      pageItems,
      ...(maxRcu ? { maxRcu } : {}),
      rawPrefix: target.rawPrefix,
      checkpointPrefix: `backfill/scan/${table}/`,
      shouldStop: () => io.signal?.aborted === true,
      fault: faultInjector(io.env),
      onPage: (p) => progress.update(p.items, total),
    });
    progress.done();
    const loaded = await loadIfLocal(target, layout, scan.items, io);
    const line = `telemetry backfill: ${table} -> ${destination(target, layout)}\n  scanned   ${scan.items} items in ${scan.pages} page(s), ${scan.segmentsDone}/${segments} segments done${scan.resumed ? ' (resumed)' : ''}, ${scan.consumedRcu} RCU, snapshot ${isoTime(scan.snapshotMs)}`;
    const fields = { table, scan: { ...scan, snapshotTime: isoTime(scan.snapshotMs) } };
    return report(io, layout, target, flags, { ok: scan.complete, line, fields }, loaded);
  } finally {
    ddb.destroy();
  }
}
