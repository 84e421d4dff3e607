import { createHash } from 'node:crypto';
import type { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';
import { canonicalJson } from '../../../src/core/ndjson/canonicalJson.js';

/** JSON columns compared by content: DynamoDB does not keep the key order of map attributes. */
function parsedJson(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[[{]/.test(value)) return value;
  try {
    return { json: JSON.parse(value) };
  } catch {
    return value;
  }
}

/**
 * Each row's event_id and a digest of every column it holds (pipeline bookkeeping columns and nulls left out),
 * read in pages of `pageSize` in event_id order, so a table of any size is never in memory at once.
 */
export async function* rowDigests(sink: DuckDbSink, pageSize = 2_000): AsyncGenerator<[string, string]> {
  let after: string | undefined;
  for (;;) {
    const reader = await sink.connection.runAndReadAll(
      `SELECT COLUMNS(c -> c NOT LIKE 'pipeline_%') FROM telemetry.car_telemetry_flattened
       ${after === undefined ? '' : 'WHERE event_id > $after'} ORDER BY event_id LIMIT ${pageSize}`,
      after === undefined ? {} : { after },
    );
    const rows = reader.getRowObjectsJson();
    for (const row of rows) {
      const present = Object.fromEntries(
        Object.entries(row)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => [k, parsedJson(v)]),
      );
      yield [String(row.event_id), createHash('sha256').update(canonicalJson(present)).digest('hex')];
    }
    if (rows.length < pageSize) return;
    after = String(rows.at(-1)?.event_id);
  }
}
