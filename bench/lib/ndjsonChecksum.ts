import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FIXED_COLUMN_NAMES } from '../../src/core/schema/fixedColumns.js';
import { RowChecksum, SAMPLE_COLUMNS } from './sampleColumns.js';

/** Row count, checksum over the sample columns and signal column count of an NDJSON file of flat rows. */
export async function ndjsonChecksum(
  path: string,
): Promise<{ rows: number; checksum: string; columns: number }> {
  const sum = new RowChecksum();
  const names = new Set<string>();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    for (const k in row) names.add(k);
    sum.add(SAMPLE_COLUMNS.map((c) => row[c.name]));
  }
  const columns = [...names].filter((n) => /^[A-Za-z0-9_]+$/.test(n) && !FIXED_COLUMN_NAMES.has(n)).length;
  return { rows: sum.rows, checksum: sum.hex(), columns };
}
