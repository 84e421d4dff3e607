import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './CliIO.js';
import { localLayout, TABLE_NAME } from './localLayout.js';
import { openReadOnly } from './openReadOnly.js';

const HELP = `Usage: telemetry query [--data-dir DIR] [--format table|json|csv] "SQL"

Runs SQL (read-only) against the local warehouse DIR/warehouse.duckdb. The table is ${TABLE_NAME}.
  --format table   aligned text (default)
  --format json    a JSON array of row objects
  --format csv     RFC 4180 CSV with a header row
SQL NULL is printed as NULL in table and csv output (null in json).
`;

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
      format: { type: 'string', default: 'table' },
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
  if (!['table', 'json', 'csv'].includes(values.format))
    throw new UsageError(`unknown format '${values.format}'`);
  const layout = localLayout(values['data-dir'], io);
  if (!existsSync(layout.warehouse)) {
    io.stderr.write(`telemetry query: no warehouse at ${layout.warehouse}; run 'telemetry run' first\n`);
    return 1;
  }
  const instance = await openReadOnly(layout.warehouse, io.signal);
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    if (values.format === 'json') {
      io.stdout.write(`${JSON.stringify(reader.getRowObjectsJson(), null, 2)}\n`);
    } else if (values.format === 'csv') {
      const lines = [
        columns.map(csvField).join(','),
        ...reader.getRowsJson().map((r) => r.map(csvField).join(',')),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    } else {
      io.stdout.write(table(columns, reader.getRowsJson() as Cell[][]));
    }
    return 0;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};
