import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AppendColumn, appendRows } from '../../../src/adapters/duckdb/appendRows.js';
import type { RowValues } from '../../../src/ports/TableSink.js';

async function appendInto(columns: readonly AppendColumn[], rows: readonly RowValues[]) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    'CREATE TABLE t (b BOOLEAN, d DOUBLE, i BIGINT, ts TIMESTAMP, s VARCHAR, missing VARCHAR)',
  );
  const appender = await connection.createAppender('t');
  try {
    appendRows(appender, columns, rows, (row) => row[0] !== 'skip');
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const reader = await connection.runAndReadAll(
    'SELECT b, d, i::VARCHAR AS i, epoch_ms(ts) AS ts, s, missing FROM t ORDER BY rowid',
  );
  const out = reader.getRowObjectsJson();
  connection.closeSync();
  instance.closeSync();
  return out;
}

// Row layout: [tag, boolean, double, bigint, timestamp ms, text]
const COLUMNS: AppendColumn[] = [
  { at: 1, type: 'BOOLEAN' },
  { at: 2, type: 'DOUBLE' },
  { at: 3, type: 'BIGINT' },
  { at: 4, type: 'TIMESTAMP' },
  { at: 5, type: 'VARCHAR' },
  { at: undefined, type: 'VARCHAR' },
];

describe('appendRows', () => {
  it('appends every type, NULLs, exact BIGINT text and more rows than one chunk, skipping what keep refuses', async () => {
    // Prepare: 5,000 rows (chunks hold 2,048), every third row all NULL, one row skipped
    const rows: RowValues[] = Array.from({ length: 5_000 }, (_, i) =>
      i % 3 === 0
        ? ['n', null, null, undefined, null, null]
        : ['v', i % 2 === 0, i + 0.5, i, Date.UTC(2025, 0, 1) + i, `text ${i} ✓`],
    );
    rows.push(['v', true, -1.25, '9223372036854775807', 0, 'big'], ['skip', true, 1, 1, 1, 'no']);
    // Act
    const got = await appendInto(COLUMNS, rows);
    // Assess
    expect(got).toHaveLength(5_001);
    expect(got[0]).toEqual({ b: null, d: null, i: null, ts: null, s: null, missing: null });
    expect(got[4]).toEqual({
      b: true,
      d: 4.5,
      i: '4',
      ts: String(Date.UTC(2025, 0, 1) + 4),
      s: 'text 4 ✓',
      missing: null,
    });
    expect(got[4_999]).toMatchObject({ d: 4_999.5, s: 'text 4999 ✓' });
    expect(got[5_000]).toMatchObject({ b: true, d: -1.25, i: '9223372036854775807', ts: '0', s: 'big' });
  });

  it('refuses a value its column cannot hold, naming the type', async () => {
    // Act + Assess
    await expect(appendInto(COLUMNS, [['v', true, 'not a number', 1, 1, 'x']])).rejects.toThrow(
      /a DOUBLE column cannot hold the string "not a number"/,
    );
  });

  it('gives back any text as appended: short ASCII (kept inside the string entry), long, non-ASCII, empty', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.option(
            fc.oneof(
              fc.string({ maxLength: 13 }),
              fc.string({ unit: 'grapheme', maxLength: 14 }),
              fc.constantFrom('', 'CHARGING', 'exactly12by', 'exactly-12-b', 'thirteen-char', 'kWh', '°C'),
            ),
            { nil: null },
          ),
          { minLength: 1, maxLength: 2_500 },
        ),
        async (texts) => {
          // Prepare: a chunk holds 2,048 rows, so longer arrays also cross a chunk
          const rows: RowValues[] = texts.map((t) => ['v', null, null, null, null, t]);
          // Act
          const got = await appendInto(COLUMNS, rows);
          // Assess
          expect(got.map((r) => r.s)).toEqual(texts);
        },
      ),
      { numRuns: 25 },
    );
  });
});
