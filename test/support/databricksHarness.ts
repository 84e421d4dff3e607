import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabricksHttp, type DatabricksHttpOptions } from '../../src/adapters/databricks/DatabricksHttp.js';
import { DatabricksSink } from '../../src/adapters/databricks/DatabricksSink.js';
import { parseTableName, quoteIdent } from '../../src/adapters/databricks/databricksSql.js';
import { StatementClient } from '../../src/adapters/databricks/StatementClient.js';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import type { TableSink } from '../../src/ports/TableSink.js';
import { DatabricksFake, type DatabricksFakeOptions } from './databricksFake.js';

/** A started fake, an Fs store in a temp dir, and clients wired to both; `close()` removes everything. */
export async function databricksWorld(
  options: DatabricksFakeOptions = {},
  http: Partial<DatabricksHttpOptions> = {},
) {
  const fake = await new DatabricksFake(options).start();
  const dir = mkdtempSync(join(tmpdir(), 'dbx-'));
  const store = new FsObjectStore(dir);
  const waits: number[] = [];
  const client = new DatabricksHttp({
    host: fake.host,
    credentials: { kind: 'pat', token: fake.token },
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...http,
  });
  const sql = new StatementClient(client, { warehouseId: fake.warehouseId, pollMinMs: 1, pollMaxMs: 1 });
  const target = parseTableName('main.telemetry.car_telemetry_flattened');
  return {
    fake,
    dir,
    store,
    waits,
    http: client,
    sql,
    target,
    sink: (mode: 'direct' | 'job' = 'direct') =>
      new DatabricksSink(sql, { store, stagedPrefix: 'staged/', target, mode }),
    /** event_id -> typed values, read back through the Statement Execution API like a real client would. */
    read: (columns: readonly string[]) =>
      readRowsById(sql, '`main`.`telemetry`.`car_telemetry_flattened`', columns),
    close: async () => {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type DatabricksWorld = Awaited<ReturnType<typeof databricksWorld>>;

/** A sink that also tears its world down on close (for the TableSink contract suite). */
export function closingSink(world: DatabricksWorld, sink: TableSink): TableSink {
  return {
    readColumns: () => sink.readColumns(),
    loadedFiles: (keys) => sink.loadedFiles(keys),
    load: (batch) => sink.load(batch),
    close: async () => {
      await sink.close();
      await world.close();
    },
  };
}

/**
 * event_id -> typed values of a table, read back through the Statement Execution API like a real client would
 * (JSON_ARRAY results are strings: booleans and plain numbers are turned back into values).
 */
export async function readRowsById(
  sql: StatementClient,
  table: string,
  columns: readonly string[],
): Promise<Record<string, Record<string, unknown>>> {
  const cols = ['event_id', ...columns];
  const result = await sql.execute({
    sql: `SELECT ${cols.map(quoteIdent).join(', ')} FROM ${table}`,
    parameters: [],
  });
  const out: Record<string, Record<string, unknown>> = {};
  for (const row of result.rows) {
    const rec: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      const v = row[i] ?? null;
      rec[c] =
        v === 'true' ? true : v === 'false' ? false : v !== null && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    });
    out[String(rec.event_id)] = rec;
  }
  return out;
}
