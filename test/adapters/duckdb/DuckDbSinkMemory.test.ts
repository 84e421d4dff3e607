import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../../src/adapters/duckdb/DuckDbSink.js';

const dir = mkdtempSync(join(tmpdir(), 'duckdb-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function settings(sink: DuckDbSink): Promise<{ limit: string; temp: string }> {
  const reader = await sink.connection.runAndReadAll(
    "SELECT current_setting('memory_limit'), current_setting('temp_directory')",
  );
  const [limit, temp] = reader.getRows()[0] ?? [];
  return { limit: String(limit), temp: String(temp) };
}

describe('DuckDbSink memory bounds', () => {
  it('caps DuckDB memory by default and spills next to the database file', async () => {
    // Prepare
    const path = join(dir, 'default', 'warehouse.duckdb');
    // Act
    const sink = await DuckDbSink.open(path);
    const got = await settings(sink);
    await sink.close();
    // Assess: DuckDB reports the limit in its own units (768MB = 732.4 MiB)
    expect(got.limit).toBe('732.4 MiB');
    expect(got.temp).toBe(`${path}.tmp`);
  });

  it('takes another limit from its options', async () => {
    // Prepare
    const path = join(dir, 'custom', 'warehouse.duckdb');
    // Act
    const sink = await DuckDbSink.open(path, { memoryLimit: '1GB' });
    const got = await settings(sink);
    await sink.close();
    // Assess
    expect(got.limit).toBe('953.6 MiB');
  });
});
