import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { duckDbColumnStats } from '../adapters/duckdb/duckDbColumnStats.js';
import { describeColumn } from '../core/catalog/columnDocs.js';
import { type Command, UsageError } from './CliIO.js';
import { localLayout, TABLE_NAME } from './localLayout.js';
import { openReadOnly } from './openReadOnly.js';

const HELP = `Usage: telemetry columns [--data-dir DIR] [--json]

Every column of the local table in table order: type, how many rows hold a value, unit, the Smartcar signal (code
and field) it comes from, and its classification (pii: identifies a person or a car or where it is; internal: the
rest). The same words are the columns' comments in DuckDB (README, "The table").

  --data-dir DIR   data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --json           {table, rows, columns: [{name, type, rowsWithValue, origin, description, unit?, signal?,
                   field?, classification}]}
`;

export const columnsCommand: Command = async (args, io) => {
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
  if (!existsSync(layout.warehouse)) {
    io.stderr.write(`telemetry columns: no warehouse at ${layout.warehouse}; run 'telemetry run' first\n`);
    return 1;
  }
  const [schema = '', table = ''] = TABLE_NAME.split('.');
  const instance = await openReadOnly(layout.warehouse, io.signal);
  const connection = await instance.connect();
  let stats: Awaited<ReturnType<typeof duckDbColumnStats>>;
  try {
    stats = await duckDbColumnStats(connection, schema, table);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const columns = stats.columns.map((c) => ({ ...c, ...describeColumn(c.name) }));
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ table: TABLE_NAME, rows: stats.rows, columns }, null, 2)}\n`);
    return 0;
  }
  const width = Math.min(60, Math.max(6, ...columns.map((c) => c.name.length)));
  const lines = columns.map((c) =>
    [
      c.name.padEnd(width),
      c.type.padEnd(9),
      String(c.rowsWithValue).padStart(9),
      c.classification.padEnd(8),
      c.signal ? `${c.signal} (${c.field})` : c.origin,
      c.unit ? `[${c.unit}]` : '',
    ]
      .join('  ')
      .trimEnd(),
  );
  io.stdout.write(
    `${TABLE_NAME}: ${stats.rows} rows, ${columns.length} columns\n` +
      `${'column'.padEnd(width)}  ${'type'.padEnd(9)}  ${'non-null'.padStart(9)}  class     signal (field) [unit]\n` +
      `${lines.join('\n')}\n`,
  );
  return 0;
};
