import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DuckDBTypeId } from '@duckdb/node-api';
import { type Command, UsageError } from './CliIO.js';
import { localLayout, TABLE_NAME } from './localLayout.js';
import { openReadOnly } from './openReadOnly.js';

const HELP = `Usage: telemetry query [--data-dir DIR] [--format table|json|csv] [--json] "SQL"

Runs SQL (read-only) against the local warehouse DIR/warehouse.duckdb. The table is ${TABLE_NAME}.
  --format table   aligned text (default)
  --format json    a JSON array of row objects (--json is the same)
  --format csv     RFC 4180 CSV with a header row
SQL NULL is printed as NULL in table and csv output (null in json). Timestamps are UTC and printed as ISO 8601
with Z (2025-11-25T20:00:00Z) in every format.
`;

const TIMESTAMP_TYPES: ReadonlySet<number> = new Set([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
]);

/** DuckDB's timestamp text (`2025-11-25 20:00:00[.fff][+00]`, UTC: the session zone is UTC) as ISO 8601 with Z. */
export function isoUtc(text: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:\+00(?::00)?)?$/.exec(text);
  return m ? `${m[1]}T${m[2]}Z` : text;
}

type Cell = string | number | boolean | null;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function csvField(v: unknown): string {
  const s = cellText(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function table(columns: string[], rows: Cell[][]): string {
  const widths = columns.map((c, i) =>
    Math.min(60, Math.max(c.length, ...rows.map((r) => cellText(r[i]).length))),
  );
  const clip = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]) => cells.map((c, i) => clip(c, widths[i] ?? 0)).join(' │ ');
  const out = [line(columns), widths.map((w) => '─'.repeat(w)).join('─┼─')];
  for (const r of rows) out.push(line(r.map(cellText)));
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}

export const queryCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const sql = positionals.join(' ').trim();
  if (!sql)
    throw new UsageError(
      'missing SQL, e.g. telemetry query "SELECT count(*) FROM telemetry.car_telemetry_flattened"',
    );
  if (values.json && values.format !== undefined && values.format !== 'json')
    throw new UsageError(`--json and --format ${values.format} disagree: pick one`);
  const format = values.json ? 'json' : (values.format ?? 'table');
  if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`unknown format '${format}'`);
  const layout = localLayout(values['data-dir'], io);
  if (!existsSync(layout.warehouse)) {
    io.stderr.write(`telemetry query: no warehouse at ${layout.warehouse}; run 'telemetry run' first\n`);
    return 1;
  }
  const instance = await openReadOnly(layout.warehouse, io.signal);
  const connection = await instance.connect();
  try {
    // The table's timestamps are UTC; a TIMESTAMPTZ must print as UTC too, whatever the machine's zone.
    await connection.run("SET TimeZone = 'UTC'").catch(() => undefined);
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const stamps = reader.columnTypes().map((t) => TIMESTAMP_TYPES.has(t.typeId));
    const rows = reader
      .getRowsJson()
      .map((r) => r.map((v, i) => (stamps[i] && typeof v === 'string' ? isoUtc(v) : v))) as Cell[][];
    if (format === 'json') {
      const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
      io.stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
    } else if (format === 'csv') {
      const lines = [columns.map(csvField).join(','), ...rows.map((r) => r.map(csvField).join(','))];
      io.stdout.write(`${lines.join('\n')}\n`);
    } else {
      io.stdout.write(table(columns, rows));
    }
    return 0;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};
