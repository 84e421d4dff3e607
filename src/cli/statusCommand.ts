import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DuckDBInstance } from '@duckdb/node-api';
import { LEDGER_TABLE } from '../adapters/duckdb/duckDbSql.js';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import { PipelineError } from '../core/errors.js';
import { type PipelineStatus, pipelineStatus } from '../process/pipelineStatus.js';
import { type Command, UsageError } from './CliIO.js';
import { localLayout, TABLE_NAME } from './localLayout.js';
import { openReadOnly } from './openReadOnly.js';

const HELP = `Usage: telemetry status [--data-dir DIR] [--json]

Where the local pipeline stands: raw objects waiting to be processed (and how old the oldest is), quarantined
records by reason, archived raw objects, staged batches, and the table (rows, columns, raw objects loaded, last load).
Reads only; safe while a run is going on (the table part is skipped while a run holds the warehouse).

  --data-dir DIR   data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --json           print the same as JSON (times as ISO 8601 UTC)
`;

interface TableStatus {
  readonly name: string;
  readonly rows: number;
  readonly columns: number;
  readonly loadedObjects: number;
  readonly lastLoadAt?: string;
}

async function tableStatus(
  warehouse: string,
  signal: AbortSignal | undefined,
): Promise<TableStatus | string> {
  if (!existsSync(warehouse)) return 'no table yet (nothing loaded)';
  let instance: DuckDBInstance;
  try {
    instance = await openReadOnly(warehouse, signal);
  } catch (error) {
    if (error instanceof PipelineError) return error.message; // a run is writing it
    throw error;
  }
  const c = await instance.connect();
  try {
    const [schema = '', table = ''] = TABLE_NAME.split('.');
    const row = async (sql: string) => (await c.runAndReadAll(sql)).getRowsJson()[0] ?? [];
    const [rows] = await row(`SELECT count(*) FROM ${TABLE_NAME}`);
    const [columns] = await row(
      `SELECT count(*) FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${table}'`,
    );
    const [loaded, last] = await row(
      `SELECT count(*), strftime(max(loaded_at), '%Y-%m-%dT%H:%M:%SZ') FROM ${schema}.${LEDGER_TABLE}`,
    );
    return {
      name: TABLE_NAME,
      rows: Number(rows),
      columns: Number(columns),
      loadedObjects: Number(loaded),
      ...(last ? { lastLoadAt: String(last) } : {}),
    };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function text(dataDir: string, s: PipelineStatus, table: TableStatus | string, now: number): string {
  const age =
    s.pending.oldestAt === undefined
      ? ''
      : `, oldest ${iso(s.pending.oldestAt)} (${Math.round((now - s.pending.oldestAt) / 60_000)} min ago)`;
  const reasons = Object.entries(s.quarantine.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  const partial =
    s.quarantine.reasonsRead < s.quarantine.entries
      ? ` (reasons of the first ${s.quarantine.reasonsRead})`
      : '';
  const lines = [
    `telemetry status: ${dataDir}`,
    `  pending     ${s.pending.objects} raw object(s), ${mib(s.pending.bytes)}${age}`,
    `  quarantine  ${s.quarantine.entries} entr${s.quarantine.entries === 1 ? 'y' : 'ies'}${reasons ? `: ${reasons}${partial}` : ''}`,
    `  archived    ${s.archived.objects} raw object(s), ${mib(s.archived.bytes)}`,
    `  staged      ${s.stagedBatches} batch(es)`,
    typeof table === 'string'
      ? `  table       ${table}`
      : `  table       ${table.name}: ${table.rows} rows, ${table.columns} columns; ${table.loadedObjects} raw object(s) loaded${table.lastLoadAt ? `, last at ${table.lastLoadAt}` : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** `telemetry status`: the local pipeline's state (store + table), read-only. */
export const statusCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const layout = localLayout(values['data-dir'], io);
  if (!existsSync(layout.dataDir)) {
    throw new UsageError(`no data folder at ${layout.dataDir}: run 'telemetry run' first or pass --data-dir`);
  }
  const status = await pipelineStatus(new FsObjectStore(layout.dataDir), layout);
  const table = await tableStatus(layout.warehouse, io.signal);
  const now = Date.now();
  if (values.json) {
    const { oldestAt, ...pending } = status.pending;
    io.stdout.write(
      `${JSON.stringify(
        {
          dataDir: layout.dataDir,
          ...status,
          pending: { ...pending, ...(oldestAt === undefined ? {} : { oldestAt: iso(oldestAt) }) },
          table: typeof table === 'string' ? { note: table } : table,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout.write(text(layout.dataDir, status, table, now));
  }
  return 0;
};
