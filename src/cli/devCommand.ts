import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { localDynamoDb } from '../dev/localAws.js';
import { putSampleItems } from '../dev/putSampleItems.js';
import { type DevEndpoints, endpointsFile, runDevStack } from '../dev/runDevStack.js';
import { type CliIO, type Command, UsageError } from './CliIO.js';
import { lockDataDir } from './dataDirLock.js';
import { faultInjector } from './faults.js';
import { type LocalLayout, localLayout, TABLE_NAME } from './localLayout.js';
import { formatProcessSummary } from './processCommand.js';
import { isoTime } from './runSummary.js';

const HELP = `Usage: telemetry dev [--data-dir DIR] [--process-every S] [--batch-size N] [--batching-window S] [--no-stream]
       telemetry dev put [--count N] [--seed N] [--data-dir DIR] [--json]

A local AWS on 127.0.0.1: DynamoDB Local (table chargeminder-car-telemetry, stream NEW_AND_OLD_IMAGES) and an S3
server (bucket chargeminder-telemetry), a stream poller that behaves like Lambda's event source mapping and
invokes the real capture handler, and the process stage on an interval, loading DIR/warehouse.duckdb
(${TABLE_NAME}). Ctrl-C stops everything. State (tables, objects, stream checkpoint) stays in DIR/dev/.
Needs Java 17 (DynamoDB Local). See docs/local-aws.md.

'telemetry dev put' writes sample items into the running local table (plus some updates and deletes);
'telemetry query' shows the rows a few seconds later.

Options:
  --data-dir DIR       data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --process-every S    seconds between process runs (default 2)
  --batch-size N       stream records per capture invocation (default 100)
  --batching-window S  seconds to gather records before invoking capture (default 1)
  --no-stream          the table's stream off and no poller: items put now are history the stream never carries
                       (bring them in with 'telemetry backfill'); the next 'telemetry dev' turns a new stream on
  --count N            (put) sample items to write (default 50)
  --seed N             (put) sample seed (default: the current time, so every call adds new events)
  --json               (put) print {table, endpoint, inserted, updated, deleted, streamRecords, at} as JSON
Every line 'telemetry dev' prints starts with the time, ISO 8601 in UTC (2025-11-25T20:00:00Z).
`;

function number(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new UsageError(`--${name} must be a number >= ${min}, got '${value}'`);
  return n;
}

async function put(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      count: { type: 'string', default: '50' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const count = Math.floor(number('count', values.count, 1));
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Math.floor(number('seed', values.seed, 0));
  const layout = localLayout(values['data-dir'], io);
  let endpoints: DevEndpoints;
  try {
    endpoints = JSON.parse(await readFile(endpointsFile(layout.dataDir), 'utf8')) as DevEndpoints;
  } catch {
    io.stderr.write(
      `telemetry dev put: no local AWS running for ${layout.dataDir}; start 'telemetry dev' first\n`,
    );
    return 1;
  }
  const ddb = localDynamoDb(endpoints.dynamodb);
  try {
    const r = await putSampleItems(ddb, endpoints.table, { count, seed });
    const { inserted, updated, deleted, streamRecords } = r;
    const summary = {
      table: endpoints.table,
      endpoint: endpoints.dynamodb,
      inserted,
      updated,
      deleted,
      streamRecords,
    };
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ ...summary, at: isoTime(Date.now()) }, null, 2)}\n`
        : `telemetry dev put: ${inserted} items written, ${updated} re-delivered with new content, ${deleted} deleted ` +
            `(${streamRecords} stream records) in ${endpoints.table} at ${endpoints.dynamodb}\n`,
    );
    return 0;
  } finally {
    ddb.destroy();
  }
}

export const devCommand: Command = async (args, io) => {
  if (args[0] === 'put') return put(args.slice(1), io);
  const { values, positionals } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      'process-every': { type: 'string', default: '2' },
      'batch-size': { type: 'string', default: '100' },
      'batching-window': { type: 'string', default: '1' },
      'no-stream': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`unknown sub-command '${positionals[0]}' (expected 'put')`);
  const layout = localLayout(values['data-dir'], io);
  const signal = io.signal ?? new AbortController().signal;
  // A second `dev` on the same folder would fight over ports, the endpoints file and the warehouse.
  const release = await lockDataDir(layout.dataDir, 'dev');
  try {
    return await devLocked(values, io, layout, signal);
  } finally {
    release();
  }
};

async function devLocked(
  values: Record<'process-every' | 'batch-size' | 'batching-window', string> & { 'no-stream': boolean },
  io: CliIO,
  layout: LocalLayout,
  signal: AbortSignal,
): Promise<number> {
  const say = (line: string) =>
    io.stdout.write(`${isoTime(Math.floor(Date.now() / 1000) * 1000)}  ${line}\n`);
  say('telemetry dev: starting DynamoDB Local (Java) and the S3 server on 127.0.0.1 ...');
  await runDevStack({
    dataDir: layout.dataDir,
    warehouse: layout.warehouse,
    processEveryMs: number('process-every', values['process-every'], 0.1) * 1000,
    batchSize: Math.floor(number('batch-size', values['batch-size'], 1)),
    batchingWindowMs: number('batching-window', values['batching-window'], 0) * 1000,
    stream: !values['no-stream'],
    log: say,
    onReady: () =>
      say(
        values['no-stream']
          ? "ready: 'telemetry dev put' now writes history no stream carries; restart without --no-stream, then " +
              "'telemetry backfill' (docs/local-aws.md). Ctrl-C stops."
          : "ready: run 'telemetry dev put' in another terminal, then 'telemetry query'. Ctrl-C stops.",
      ),
    onProcessed: (s) => say(`processed: ${formatProcessSummary(s)}`),
    fault: faultInjector(io.env),
    signal,
  });
  say('telemetry dev: stopped');
  return 0;
}
