import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { DUCKDB_TYPES, quoteIdent } from '../../../src/adapters/duckdb/duckDbSql.js';
import { FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import { type TableSinkHarness, tableSinkContract } from '../../ports/tableSinkContract.js';

const read: TableSinkHarness['read'] = async (sink, columns) => {
  const duck = sink as DuckDbSink;
  const cols = ['event_id', ...columns].map(quoteIdent).join(', ');
  const reader = await duck.connection.runAndReadAll(`SELECT ${cols} FROM telemetry.car_telemetry_flattened`);
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of reader.getRowObjectsJson()) out[String(r.event_id)] = r;
  for (const r of Object.values(out)) {
    if (typeof r.vehicle_year === 'string') r.vehicle_year = Number(r.vehicle_year);
  }
  return out;
};

tableSinkContract('DuckDbSink', { open: () => DuckDbSink.open(':memory:'), read });

/**
 * A table someone created with a column type the sink never creates (INTEGER) cannot take exact appends, so the
 * sink merges through the wide staging table instead: the same contract must hold on that path too.
 */
tableSinkContract('DuckDbSink (staged merge: the table has a foreign column type)', {
  open: async () => {
    const sink = await DuckDbSink.open(':memory:');
    const fixed = FIXED_COLUMNS.map((c) => `${quoteIdent(c.name)} ${DUCKDB_TYPES[c.type]}`).join(', ');
    await sink.connection.run('CREATE SCHEMA telemetry');
    await sink.connection.run(
      `CREATE TABLE telemetry.car_telemetry_flattened (${fixed}, legacy_count INTEGER)`,
    );
    return sink;
  },
  read,
});

/** The sink reopens DuckDB after some loads (memory a session keeps): the contract holds across reopens. */
const reopenDir = mkdtempSync(join(tmpdir(), 'duckdb-reopen-'));
afterAll(() => rmSync(reopenDir, { recursive: true, force: true }));
let reopened = 0;
tableSinkContract('DuckDbSink (file, reopened after every load)', {
  open: () => {
    reopened += 1;
    return DuckDbSink.open(join(reopenDir, `w${reopened}`, 'warehouse.duckdb'), { reopenEveryLoads: 1 });
  },
  read,
});
