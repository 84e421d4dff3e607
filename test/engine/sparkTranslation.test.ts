import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksHttp } from '../../src/adapters/databricks/DatabricksHttp.js';
import { StatementClient } from '../../src/adapters/databricks/StatementClient.js';
import { acquireSparkEngine } from '../support/sparkEngine.js';

let release: () => Promise<void>;
let sql: StatementClient;
let dir: string;
const SCHEMA = '`main`.`engine_translation`';

/** Writes a small Parquet file (columns event_id STRING, n BIGINT) with DuckDB, an independent writer. */
async function parquet(path: string, rows: [string, number][]): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const duck = await DuckDBInstance.create(':memory:');
  const c = await duck.connect();
  const values = rows.map(([id, n]) => `('${id}', ${n}::BIGINT)`).join(', ');
  await c.run(`COPY (SELECT * FROM (VALUES ${values}) AS v(event_id, n)) TO '${path}' (FORMAT parquet)`);
  c.closeSync();
  duck.closeSync();
}

const url = (p: string) => pathToFileURL(p).href;
const run = (text: string, parameters: { name: string; value: string }[] = []) =>
  sql.execute({ sql: text, parameters });

beforeAll(async () => {
  let engine: { host: string; token: string; warehouseId: string };
  ({ engine, release } = await acquireSparkEngine(inject('sparkEngine')));
  const http = new DatabricksHttp({ host: engine.host, credentials: { kind: 'pat', token: engine.token } });
  sql = new StatementClient(http, { warehouseId: engine.warehouseId, pollMinMs: 20, pollMaxMs: 200 });
  dir = mkdtempSync(join(tmpdir(), 'spark-translation-'));
  await run(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
});
afterAll(async () => {
  await sql?.execute({ sql: `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, parameters: [] });
  await release?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('Spark engine: Databricks-only constructs', { timeout: 300_000 }, () => {
  it('read_files skips hidden files and folders (names starting with _ or .)', async () => {
    // Prepare
    const root = join(dir, 'hidden');
    await parquet(join(root, 'part-0.parquet'), [['a', 1]]);
    await parquet(join(root, '_manifest.parquet'), [['hidden-underscore', 2]]);
    await parquet(join(root, '.dot.parquet'), [['hidden-dot', 3]]);
    await parquet(join(root, '_tmp', 'part-9.parquet'), [['hidden-folder', 4]]);
    writeFileSync(join(root, '_SUCCESS'), '');

    // Act
    const result = await run(
      "SELECT event_id FROM read_files(:p, format => 'parquet', schemaEvolutionMode => 'none') ORDER BY 1",
      [{ name: 'p', value: url(root) }],
    );

    // Assess
    expect(result.rows).toEqual([['a']]);
  });

  it('read_files infers key=value folders as partition columns, not with partitionColumns => empty', async () => {
    // Prepare
    const root = join(dir, 'staged');
    await parquet(join(root, 'batch_id=b1', 'part-0.parquet'), [['a', 1]]);
    await parquet(join(root, 'batch_id=b2', 'part-0.parquet'), [['b', 2]]);

    // Act
    const inferred = await run(
      "SELECT event_id, batch_id FROM read_files(:p, format => 'parquet', schemaEvolutionMode => 'none') ORDER BY 1",
      [{ name: 'p', value: url(join(root, 'batch_id=*', 'part-*.parquet')) }],
    );
    const ignored = await run(
      "SELECT * FROM read_files(:p, format => 'parquet', schemaEvolutionMode => 'none', partitionColumns => '')",
      [{ name: 'p', value: url(root) }],
    );

    // Assess
    expect(inferred.rows).toEqual([
      ['a', 'b1'],
      ['b', 'b2'],
    ]);
    expect(ignored.columns).toEqual(['event_id', 'n']);
  });

  it("read_files adds _rescued_data unless schemaEvolutionMode => 'none'", async () => {
    // Prepare
    const file = join(dir, 'rescued', 'part-0.parquet');
    await parquet(file, [['a', 1]]);

    // Act
    const byDefault = await run("SELECT * FROM read_files(:p, format => 'parquet')", [
      { name: 'p', value: url(file) },
    ]);
    const none = await run(
      "SELECT * FROM read_files(:p, format => 'parquet', schemaEvolutionMode => 'none')",
      [{ name: 'p', value: url(file) }],
    );

    // Assess
    expect(byDefault.columns).toEqual(['event_id', 'n', '_rescued_data']);
    expect(byDefault.rows).toEqual([['a', '1', null]]);
    expect(none.columns).toEqual(['event_id', 'n']);
  });

  it('read_files on an empty folder fails without a schema and is empty with one', async () => {
    // Prepare
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, '_manifest.json'), '{}');

    // Act
    const error = await run("SELECT * FROM read_files(:p, format => 'parquet')", [
      { name: 'p', value: url(empty) },
    ]).catch((e: unknown) => e as Error);
    const typed = await run(
      "SELECT * FROM read_files(:p, format => 'parquet', schema => 'event_id STRING, n BIGINT', schemaEvolutionMode => 'none')",
      [{ name: 'p', value: url(empty) }],
    );

    // Assess
    expect(String(error)).toContain('CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE');
    expect(typed).toEqual({ columns: ['event_id', 'n'], rows: [] });
  });

  it('information_schema.columns reports lower-case names and Unity Catalog type words', async () => {
    // Prepare
    await run(
      `CREATE TABLE ${SCHEMA}.\`MixedCase\` (\`Event_Id\` STRING, \`n\` BIGINT, \`d\` DECIMAL(10,2)) USING DELTA`,
    );
    const query = `SELECT table_catalog, table_schema, table_name, column_name, data_type, full_data_type
FROM system.information_schema.columns
WHERE table_catalog = :catalog AND table_schema = :schema AND table_name = :table ORDER BY ordinal_position`;
    const at = (table: string) => [
      { name: 'catalog', value: 'main' },
      { name: 'schema', value: 'engine_translation' },
      { name: 'table', value: table },
    ];

    // Act
    const lower = await run(query, at('mixedcase'));
    const mixed = await run(query, at('MixedCase'));
    const viaCatalog = await run(
      "SELECT count(*) FROM `main`.information_schema.columns WHERE table_name = 'mixedcase'",
    );

    // Assess
    expect(lower.rows).toEqual([
      ['main', 'engine_translation', 'mixedcase', 'Event_Id', 'STRING', 'STRING'],
      ['main', 'engine_translation', 'mixedcase', 'n', 'BIGINT', 'BIGINT'],
      ['main', 'engine_translation', 'mixedcase', 'd', 'DECIMAL', 'DECIMAL(10,2)'],
    ]);
    expect(mixed.rows).toEqual([]);
    expect(viaCatalog.rows).toEqual([['3']]);
  });

  it('COMMENT ON and SET TAGS are kept and readable through information_schema', async () => {
    // Prepare
    const table = `${SCHEMA}.\`tagged\``;
    await run(`CREATE TABLE ${table} (\`speed\` DOUBLE) USING DELTA`);

    // Act
    await run(`COMMENT ON TABLE ${table} IS 'one row per event'`);
    await run(`COMMENT ON COLUMN ${table}.\`speed\` IS 'km/h, it\\'s rounded'`);
    await run(`ALTER TABLE ${table} SET TAGS ('domain' = 'telemetry')`);
    await run(`ALTER TABLE ${table} ALTER COLUMN \`speed\` SET TAGS ('unit' = 'km/h', 'pii' = 'no')`);
    await run(`ALTER TABLE ${table} ALTER COLUMN \`speed\` UNSET TAGS ('pii')`);
    const columns = await run(
      "SELECT column_name, comment FROM system.information_schema.columns WHERE table_schema = 'engine_translation' AND table_name = 'tagged'",
    );
    const tables = await run(
      "SELECT comment FROM system.information_schema.tables WHERE table_schema = 'engine_translation' AND table_name = 'tagged'",
    );
    const columnTags = await run(
      "SELECT column_name, tag_name, tag_value FROM `main`.information_schema.column_tags WHERE table_name = 'tagged'",
    );
    const tableTags = await run(
      "SELECT tag_name, tag_value FROM system.information_schema.table_tags WHERE table_name = 'tagged'",
    );

    // Assess
    expect(columns.rows).toEqual([['speed', "km/h, it's rounded"]]);
    expect(tables.rows).toEqual([['one row per event']]);
    expect(columnTags.rows).toEqual([['speed', 'unit', 'km/h']]);
    expect(tableTags.rows).toEqual([['domain', 'telemetry']]);
  });

  it('EXECUTE IMMEDIATE runs the statement its variable or literal holds, translated like any statement; nesting is refused', async () => {
    // Prepare: a Databricks-only statement (a column tag on a `main` table) in a session variable
    const table = `${SCHEMA}.\`immediate\``;
    await run(`CREATE TABLE ${table} (\`speed\` DOUBLE) USING DELTA`);
    await run('DECLARE OR REPLACE VARIABLE engine_statement STRING');
    await run(
      `SET VAR engine_statement = concat('ALTER TABLE ${table} ALTER COLUMN ', '\`speed\`', ' SET TAGS (\\'unit\\' = \\'km/h\\')')`,
    );

    // Act
    await run('EXECUTE IMMEDIATE engine_statement');
    await run(`EXECUTE IMMEDIATE 'COMMENT ON COLUMN ${table}.\`speed\` IS \\'km/h\\''`);
    const nested = await run("EXECUTE IMMEDIATE 'EXECUTE IMMEDIATE \\'SELECT 1\\''").catch((e: Error) => e);
    const tags = await run(
      "SELECT column_name, tag_name, tag_value FROM system.information_schema.column_tags WHERE table_name = 'immediate'",
    );
    const columns = await run(
      "SELECT column_name, comment FROM system.information_schema.columns WHERE table_schema = 'engine_translation' AND table_name = 'immediate'",
    );

    // Assess
    expect(tags.rows).toEqual([['speed', 'unit', 'km/h']]);
    expect(columns.rows).toEqual([['speed', 'km/h']]);
    expect(String(nested)).toContain('NESTED_EXECUTE_IMMEDIATE');
  });
});
