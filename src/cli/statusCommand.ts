import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DuckDBInstance } from '@duckdb/node-api';
import { duckDbTableStatus, type TableStatus } from '../adapters/duckdb/duckDbTableStatus.js';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { resolveDatabricksEnv } from '../config/databricksProfile.js';
import { errorMessage, PipelineError } from '../core/errors.js';
import {
  type HealthThresholds,
  healthProblems,
  type PipelineStatus,
  pipelineStatus,
} from '../process/pipelineStatus.js';
import { FAILED_BATCHES_PREFIX } from '../replay/replayFailedRecords.js';
import { openBucketLayout } from './bucketLayout.js';
import { type Command, UsageError, wholeNumberOption } from './CliIO.js';
import { type LocalLayout, localLayout, TABLE_NAME } from './localLayout.js';
import { openReadOnly } from './openReadOnly.js';

const HELP = `Usage: telemetry status [--data-dir DIR] [--json] [--max-lag D] [--max-quarantined N] [--max-age D]
       telemetry status --bucket B [--endpoint URL] [--failed-bucket F] [--sink duckdb|databricks] [...]

Where the local pipeline stands: raw objects waiting to be processed (and how old the oldest is), quarantined
records by reason, archived raw objects, staged batches, the table (rows, columns, raw objects loaded, last load),
its newest recorded_at and events per make over the last 24 hours. Reads only; safe while a run is going on (the
table part is skipped while a run holds the warehouse).

Exit code 0 when healthy, 1 when something needs attention (for cron or CI): the oldest pending raw object is older
than --max-lag, more quarantine entries than --max-quarantined, the newest recorded_at older than --max-age.
Durations: 90s, 15m, 2h, 1d.

With --bucket the objects are read from the bucket (prefixes as the Lambdas use them, TELEMETRY_*_PREFIX); with
--failed-bucket also the capture Lambda's failed-records objects (any one needs attention: telemetry replay
failed-records). The table part is read from DIR/warehouse.duckdb with --sink duckdb (where \`telemetry process
--bucket\` loads by default), or from the Unity Catalog table through the SQL warehouse with --sink databricks
(DATABRICKS_HOST, DATABRICKS_WAREHOUSE_ID and credentials as for the other Databricks commands; read-only).

  --data-dir DIR        data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --bucket B            read the pipeline's objects from this bucket instead of the data folder
  --endpoint URL        S3-compatible endpoint of the buckets (default TELEMETRY_S3_ENDPOINT, else AWS S3)
  --failed-bucket F     (bucket) the failed-records bucket (stack output FailedRecordsBucket)
  --sink NAME           (bucket) where the table is: duckdb (DIR/warehouse.duckdb) or databricks; default none
  --json                print the same as JSON (times as ISO 8601 UTC; shape in docs/operations.md)
  --max-lag D           oldest pending raw object may be this old (default 15m)
  --max-quarantined N   at most N quarantine entries (default: not checked)
  --max-age D           newest recorded_at may be this old (default: not checked)
`;

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m` -> 900000; anything else is wrong usage naming the option. */
function durationOption(name: string, text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m) throw new UsageError(`--${name} must be a duration such as 90s, 15m, 2h or 1d, got '${text}'`);
  return Number(m[1]) * (UNITS_MS[m[2] ?? ''] ?? 0);
}

/** The Unity Catalog table's status through the SQL warehouse (read-only), or why it could not be read. */
async function databricksStatus(env: NodeJS.ProcessEnv, now: number): Promise<TableRead> {
  try {
    const { openDatabricksWarehouse } = await import('../compose/createDatabricksSink.js');
    const { databricksTableStatus } = await import('../adapters/databricks/databricksTableStatus.js');
    const { sql, target } = await openDatabricksWarehouse(resolveDatabricksEnv(env));
    return await databricksTableStatus(sql, target, now);
  } catch (error) {
    return { note: `not read: ${errorMessage(error)}`, known: false };
  }
}

/** The table's status, or why it could not be read (`known: false` while a run holds the warehouse). */
type TableRead = TableStatus | { readonly note: string; readonly known: boolean };

async function tableStatus(
  warehouse: string,
  signal: AbortSignal | undefined,
  now: number,
): Promise<TableRead> {
  if (!existsSync(warehouse)) return { note: 'no table yet (nothing loaded)', known: true };
  let instance: DuckDBInstance;
  try {
    instance = await openReadOnly(warehouse, signal);
  } catch (error) {
    if (error instanceof PipelineError) return { note: error.message, known: false }; // a run is writing it
    throw error;
  }
  const c = await instance.connect();
  try {
    const [schema = '', table = ''] = TABLE_NAME.split('.');
    return await duckDbTableStatus(c, schema, table, now);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** An instant as ISO 8601 UTC to the second: how every status-like command prints times. */
export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** How long ago, in the unit a person reads at a glance: minutes up to 2 h, hours up to 3 days, then days. */
function ago(ms: number, now: number): string {
  const min = Math.round((now - ms) / 60_000);
  const text =
    min < 120 ? `${min} min` : min < 72 * 60 ? `${Math.round(min / 60)} h` : `${Math.round(min / 1440)} d`;
  return `${isoSeconds(ms)} (${text} ago)`;
}

function tableLines(table: TableRead, now: number): string[] {
  if ('note' in table) return [`  table       ${table.note}`];
  const makes = Object.entries(table.eventsPerMake24h);
  const recent = makes.reduce((n, [, k]) => n + k, 0);
  return [
    `  table       ${table.name}: ${table.rows} rows, ${table.columns} columns; ${table.loadedObjects} raw object(s) loaded${table.lastLoadAt === undefined ? '' : `, last at ${isoSeconds(table.lastLoadAt)}`}${table.lastBatch ? ` (batch ${table.lastBatch.id}, ${table.lastBatch.objects} object(s))` : ''}`,
    `  newest      ${table.newestRecordedAt === undefined ? 'no recorded_at yet' : `recorded_at ${ago(table.newestRecordedAt, now)}`}`,
    `  last 24 h   ${recent} event(s)${makes.length ? `: ${makes.map(([m, n]) => `${n} ${m}`).join(', ')}` : ''}`,
  ];
}

function text(where: string, s: PipelineStatus, table: TableRead, problems: string[], now: number): string {
  const age = s.pending.oldestAt === undefined ? '' : `, oldest ${ago(s.pending.oldestAt, now)}`;
  const reasons = Object.entries(s.quarantine.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  const partial =
    s.quarantine.reasonsRead < s.quarantine.entries
      ? ` (reasons of the first ${s.quarantine.reasonsRead})`
      : '';
  const lines = [
    `telemetry status: ${where}: ${problems.length === 0 ? 'healthy' : `NEEDS ATTENTION (${problems.length})`}`,
    ...problems.map((p) => `  ! ${p}`),
    `  pending     ${s.pending.objects} raw object(s), ${mib(s.pending.bytes)}${age}`,
    `  quarantine  ${s.quarantine.entries} entr${s.quarantine.entries === 1 ? 'y' : 'ies'}${reasons ? `: ${reasons}${partial}` : ''}`,
    `  archived    ${s.archived.objects} raw object(s), ${mib(s.archived.bytes)}`,
    `  staged      ${s.stagedBatches} batch(es)`,
    ...(s.failedRecords
      ? [
          `  failed      ${s.failedRecords.objects} failed-records object(s)${s.failedRecords.oldestAt === undefined ? '' : `, oldest ${ago(s.failedRecords.oldestAt, now)}`}`,
        ]
      : []),
    ...tableLines(table, now),
  ];
  return `${lines.join('\n')}\n`;
}

function tableJson(table: TableRead) {
  if ('note' in table) return { note: table.note };
  const { lastLoadAt, newestRecordedAt, ...rest } = table;
  return {
    ...rest,
    ...(lastLoadAt === undefined ? {} : { lastLoadAt: isoSeconds(lastLoadAt) }),
    ...(newestRecordedAt === undefined ? {} : { newestRecordedAt: isoSeconds(newestRecordedAt) }),
  };
}

/** The data folder's objects. */
async function localStatus(dataDir: string, layout: LocalLayout) {
  if (!existsSync(dataDir)) {
    throw new UsageError(`no data folder at ${dataDir}: run 'telemetry run' first or pass --data-dir`);
  }
  return { where: dataDir, status: await pipelineStatus(new FsObjectStore(dataDir), layout) };
}

/** A bucket's objects (and its failed-records bucket's), read with the prefixes the Lambdas use. */
async function bucketStatus(
  bucket: string,
  options: { readonly endpoint?: string | undefined; readonly 'failed-bucket'?: string | undefined },
  env: NodeJS.ProcessEnv,
) {
  const { store, ...prefixes } = await openBucketLayout(bucket, options.endpoint, env);
  const failedBucket = options['failed-bucket'];
  const failed = failedBucket ? new S3ObjectStore({ bucket: failedBucket, client: store.client }) : undefined;
  try {
    const status = await pipelineStatus(store, prefixes, {
      ...(failed ? { failed: { store: failed, prefix: FAILED_BATCHES_PREFIX } } : {}),
    });
    return { where: store.describe(''), status };
  } finally {
    store.client.destroy();
  }
}

/** `telemetry status`: the local pipeline's state (store + table), read-only; exit 1 when it needs attention. */
export const statusCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      'failed-bucket': { type: 'string' },
      sink: { type: 'string' },
      json: { type: 'boolean', default: false },
      'max-lag': { type: 'string', default: '15m' },
      'max-quarantined': { type: 'string' },
      'max-age': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const thresholds: HealthThresholds = {
    maxLagMs: durationOption('max-lag', values['max-lag']),
    ...(values['max-quarantined'] === undefined
      ? {}
      : { maxQuarantined: wholeNumberOption('max-quarantined', values['max-quarantined'], 0) }),
    ...(values['max-age'] === undefined ? {} : { maxAgeMs: durationOption('max-age', values['max-age']) }),
  };
  if (!values.bucket && (values.endpoint ?? values['failed-bucket'] ?? values.sink) !== undefined)
    throw new UsageError('--endpoint, --failed-bucket and --sink go with --bucket');
  if (values.sink !== undefined && values.sink !== 'duckdb' && values.sink !== 'databricks')
    throw new UsageError(`unknown sink '${values.sink}' (expected duckdb or databricks)`);
  const layout = localLayout(values['data-dir'], io);
  const now = Date.now();
  const read = values.bucket
    ? await bucketStatus(values.bucket, values, io.env)
    : await localStatus(layout.dataDir, layout);
  const table: TableRead =
    values.bucket && values.sink === 'databricks'
      ? await databricksStatus(io.env, now)
      : values.bucket && values.sink !== 'duckdb'
        ? {
            note: 'not read (--sink duckdb reads DIR/warehouse.duckdb, --sink databricks the workspace)',
            known: false,
          }
        : await tableStatus(layout.warehouse, io.signal, now);
  const { where, status } = read;
  // While a run holds the warehouse its freshness is unknown: not a problem in itself.
  const freshness = 'note' in table ? (table.known ? {} : undefined) : table;
  const problems = healthProblems(status, freshness, thresholds, now);
  if (values.json) {
    const { oldestAt, ...pending } = status.pending;
    io.stdout.write(
      `${JSON.stringify(
        {
          ...(values.bucket ? { bucket: where } : { dataDir: where }),
          healthy: problems.length === 0,
          problems,
          ...status,
          pending: {
            ...pending,
            ...(oldestAt === undefined
              ? {}
              : { oldestAt: isoSeconds(oldestAt), lagSeconds: Math.round((now - oldestAt) / 1000) }),
          },
          table: tableJson(table),
          at: isoSeconds(now),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout.write(text(where, status, table, problems, now));
  }
  return problems.length === 0 ? 0 : 1;
};
