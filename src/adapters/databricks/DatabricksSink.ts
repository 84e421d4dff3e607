import { z } from 'zod';
import { ConfigError, errorMessage, TransientError } from '../../core/errors.js';
import type { ColumnDef } from '../../core/schema/fixedColumns.js';
import type { ObjectStore } from '../../ports/ObjectStore.js';
import type { LoadBatch, LoadResult, TableSink } from '../../ports/TableSink.js';
import { loadResult } from '../sql/loadRule.js';
import { DatabricksError } from './DatabricksError.js';
import { documentTable } from './databricksDocs.js';
import { logicalType, type TableName } from './databricksSql.js';
import {
  batchLoadedSql,
  ensureTablesSql,
  loadBatchSql,
  loadedFilesSql,
  loadParameters,
  loadSequence,
  readColumnsSql,
  type SqlStatement,
} from './loadSql.js';
import { columnDef } from './StagedManifest.js';
import type { StatementResult } from './StatementClient.js';
import { stageBatch } from './stageBatch.js';

/** What the sink needs to run SQL (the {@link StatementClient}, or a stub in tests). */
export interface SqlRunner {
  execute(statement: SqlStatement, signal?: AbortSignal): Promise<StatementResult>;
}

export interface DatabricksSinkOptions {
  readonly store: ObjectStore;
  readonly stagedPrefix: string;
  readonly target: TableName;
  /** `direct`: stage, then load with SQL; `job`: stage only (the `telemetry-load` job loads). */
  readonly mode: 'direct' | 'job';
  /** The URL the warehouse reads a staged key from (default: `store.describe(key)`, e.g. `s3://bucket/key`). */
  readonly locate?: (key: string) => string;
  readonly now?: () => number;
}

/**
 * Registry of columns staged in job mode (the table may not have them yet): `<stagedPrefix>columns.json`, outside
 * the `batch-` folders that the staged lifecycle rule expires. Read from the older `_columns.json` when missing.
 */
const STAGED_COLUMNS = 'columns.json';
const OLD_STAGED_COLUMNS = '_columns.json';

/** information_schema rows -> columns; a type we cannot map is an error naming the column (never dropped). */
function toColumns(result: StatementResult, target: TableName): ColumnDef[] {
  const out: ColumnDef[] = [];
  for (const [name, type] of result.rows) {
    if (!name) continue;
    const logical = logicalType(String(type));
    if (!logical) {
      throw new ConfigError(
        `column ${name} of ${target.catalog}.${target.schema}.${target.table} has type ${type}, which the load cannot write: change it back or drop the column`,
      );
    }
    out.push({ name, type: logical });
  }
  return out;
}

/**
 * The Unity Catalog Delta table as a {@link TableSink}. Each batch is staged as Parquet + manifest first (durable
 * before anything else happens); in `direct` mode the generated load SQL then runs on the SQL warehouse: schema and
 * tables if missing, new columns, deletes, tombstones, the merge and the ledger (the rule: src/adapters/sql/loadRule.ts).
 *
 * @example
 * const sink = new DatabricksSink(new StatementClient(http, { warehouseId }), {
 *   store, stagedPrefix: 'staged/', target: parseTableName('main.telemetry.car_telemetry_flattened'), mode: 'direct',
 * });
 */
export class DatabricksSink implements TableSink {
  #ready = false;
  #documented = false;

  constructor(
    private readonly sql: SqlRunner,
    private readonly options: DatabricksSinkOptions,
  ) {}

  async #run(statement: SqlStatement): Promise<StatementResult> {
    return this.sql.execute(statement);
  }

  async #ensureTables(): Promise<void> {
    if (this.#ready) return;
    for (const s of ensureTablesSql(this.options.target)) await this.#run(s);
    this.#ready = true;
  }

  async #tableColumns(): Promise<ColumnDef[]> {
    return toColumns(await this.#run(readColumnsSql(this.options.target)), this.options.target);
  }

  async #stagedColumns(): Promise<ColumnDef[]> {
    const { store, stagedPrefix } = this.options;
    let key = stagedPrefix + STAGED_COLUMNS;
    if (!(await store.head(key))) key = stagedPrefix + OLD_STAGED_COLUMNS;
    if (!(await store.head(key))) return [];
    const parsed = z
      .array(columnDef)
      .safeParse(JSON.parse(Buffer.from(await this.options.store.get(key)).toString('utf8')));
    if (!parsed.success)
      throw new ConfigError(`${key} is not a list of {name, type} columns: remove or fix it`);
    return parsed.data as ColumnDef[];
  }

  async readColumns(): Promise<ColumnDef[]> {
    if (this.options.mode === 'job') return this.#stagedColumns();
    return this.#tableColumns();
  }

  async loadedFiles(keys: readonly string[]): Promise<Set<string>> {
    // Job mode: nothing is loaded here; re-staging a batch after a crash is harmless (same ids, idempotent merge).
    if (this.options.mode === 'job' || keys.length === 0) return new Set();
    await this.#ensureTables();
    const found = new Set<string>();
    for (const s of loadedFilesSql(this.options.target, keys)) {
      for (const [file] of (await this.#run(s)).rows) if (file) found.add(file);
    }
    return found;
  }

  async load(batch: LoadBatch): Promise<LoadResult> {
    const { store, stagedPrefix } = this.options;
    await stageBatch(store, batch, { stagedPrefix, now: this.options.now });
    if (this.options.mode === 'job') {
      await this.#recordStagedColumns(batch);
      return {
        inserted: 0,
        updated: 0,
        unchanged: 0,
        deleted: 0,
        staged: batch.rows.length + batch.deletes.length,
      };
    }
    return this.#loadStaged(batch);
  }

  async #recordStagedColumns(batch: LoadBatch): Promise<void> {
    const known = await this.#stagedColumns();
    const names = new Set(known.map((c) => c.name.toLowerCase()));
    const added = batch.columns.filter((c) => !names.has(c.name.toLowerCase()));
    const key = this.options.stagedPrefix + STAGED_COLUMNS;
    if (added.length === 0 && (await this.options.store.head(key))) return;
    const all = [...known, ...added.map((c) => ({ name: c.name, type: c.type }))];
    await this.options.store.put(
      this.options.stagedPrefix + STAGED_COLUMNS,
      Buffer.from(JSON.stringify(all)),
    );
  }

  async #loadStaged(batch: LoadBatch): Promise<LoadResult> {
    const { target, store, stagedPrefix } = this.options;
    await this.#ensureTables();
    const loaded = await this.#run(batchLoadedSql(target, batch.batchId));
    if (Number(loaded.rows[0]?.[0] ?? 0) > 0) {
      throw new TransientError(
        `batch ${batch.batchId} is already in the load ledger (another writer loaded it)`,
      );
    }
    const locate = this.options.locate ?? ((key: string) => store.describe(key));
    const sql = loadBatchSql(target, loadParameters(locate, stagedPrefix, batch.batchId));
    try {
      for (const s of loadSequence(sql)) await this.#run(s);
    } catch (error) {
      // The guard's raise_error: a column's type differs from the table's (terminal, like DuckDB's check).
      if (error instanceof DatabricksError && /types never change silently/.test(error.message)) {
        throw new ConfigError(
          errorMessage(error).replace(/^.*?(column .*types never change silently).*$/s, '$1'),
        );
      }
      throw error;
    }
    // Comments, `pii` tags and car_latest_state for the columns this load added (first load: any left undocumented).
    // The rows are committed by now: a failure here must not fail the load; the next load documents again.
    if (batch.newColumns.length > 0 || !this.#documented) {
      this.#documented = await documentTable((s) => this.#run(s), target).then(
        () => true,
        () => false,
      );
    }
    return loadResult((await this.#run(sql.readLog)).rows[0] ?? [], batch.rows.length, batch.deletes.length);
  }

  async close(): Promise<void> {}
}
