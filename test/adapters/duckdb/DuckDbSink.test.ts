import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { quoteIdent } from '../../../src/adapters/duckdb/duckDbSql.js';
import { tableSinkContract } from '../../ports/tableSinkContract.js';

tableSinkContract('DuckDbSink', {
  open: () => DuckDbSink.open(':memory:'),
  read: async (sink, columns) => {
    const duck = sink as DuckDbSink;
    const cols = ['event_id', ...columns].map(quoteIdent).join(', ');
    const reader = await duck.connection.runAndReadAll(
      `SELECT ${cols} FROM telemetry.car_telemetry_flattened`,
    );
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of reader.getRowObjectsJson()) out[String(r.event_id)] = r;
    for (const r of Object.values(out)) {
      if (typeof r.vehicle_year === 'string') r.vehicle_year = Number(r.vehicle_year);
    }
    return out;
  },
});
