import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ConfigError, TransientError } from '../../core/errors.js';
import { type ColumnDef, FIXED_COLUMNS } from '../../core/schema/fixedColumns.js';
import { columnIndex, type LoadBatch, type LoadResult, type TableSink } from '../../ports/TableSink.js';
import { loadPlan, loadResult, typeChanged } from '../sql/loadRule.js';
import type { SqlStatement } from '../sql/SqlDialect.js';
import { appendRows } from './appendRows.js';
import { documentTable } from './duckDbDocs.js';
import {
  DUCKDB_DIALECT,
  DUCKDB_TYPES,
  LEDGER_TABLE,
  logicalType,
  qualified,
  quoteIdent,
  quoteLiteral,
} from './duckDbSql.js';
import {
  CATALOG,
  DUCKDB_MEMORY_LIMIT,
  DUCKDB_READ_MEMORY_LIMIT,
  isOutOfMemory,
  openWarehouse,
  type Warehouse,
  type WarehouseOptions,
} from './openWarehouse.js';

export interface DuckDbSinkOptions extends WarehouseOptions {
  readonly schema?: string;
  readonly table?: string;
  /** The limit of a load's reads (default {@link DUCKDB_READ_MEMORY_LIMIT}; only under the default limit). */
  readonly readMemoryLimit?: string;
  /** Loads after which DuckDB is closed and opened again on the same file (default {@link REOPEN_EVERY_LOADS}). */
  readonly reopenEveryLoads?: number;
}

const STAGE = '_telemetry_stage';
const STAGE_DELETES = '_telemetry_stage_deletes';
const STAGE_KEYS = '_telemetry_stage_keys';

/** Loads after which the sink reopens DuckDB (see {@link DuckDbSink} `#reopen`). */
export const REOPEN_EVERY_LOADS = 10;

function params(statement: SqlStatement): Record<string, string | null> {
  return Object.fromEntries(statement.parameters.map((p) => [p.name, p.value]));
}

/**
 * The local table: a DuckDB file with `telemetry.car_telemetry_flattened`, a ledger of loaded raw objects
 * (`_loaded_files`) and tombstones of deleted events (`_deleted_events`). One transaction per batch: new columns,
 * rows, deletes and ledger entries commit together or not at all.
 *
 * @example
 * const sink = await DuckDbSink.open('./data/warehouse.duckdb');
 * try { await sink.load(batch); } finally { await sink.close(); }
 */
export class DuckDbSink implements TableSink {
  readonly #table: string;
  readonly #ledger: string;
  readonly #tombstones: string;
  #ready = false;

  /** The open DuckDB (replaced by {@link DuckDbSink} `#reopen`). */
  #db: Warehouse;
  /** Loads since the database was (re)opened. */
  #loads = 0;

  private constructor(
    db: Warehouse,
    private readonly path: string,
    private readonly options: DuckDbSinkOptions,
    private readonly schema: string,
    private readonly tableName: string,
  ) {
    this.#db = db;
    this.#table = qualified(schema, tableName);
    this.#ledger = qualified(schema, LEDGER_TABLE);
    this.#tombstones = qualified(schema, '_deleted_events');
  }

  get connection(): DuckDBConnection {
    return this.#db.connection;
  }

  static async open(path: string, options: DuckDbSinkOptions = {}): Promise<DuckDbSink> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return new DuckDbSink(
      await openWarehouse(path, options),
      path,
      options,
      options.schema ?? 'telemetry',
      options.table ?? 'car_telemetry_flattened',
    );
  }

  async #ensureTables(): Promise<void> {
    if (this.#ready) return;
    const fixed = FIXED_COLUMNS.map((c) => `${quoteIdent(c.name)} ${DUCKDB_TYPES[c.type]}`).join(', ');
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
    await this.connection.run(`CREATE TABLE IF NOT EXISTS ${this.#table} (${fixed})`);
    await this.connection.run(
      `CREATE TABLE IF NOT EXISTS ${this.#ledger} (file VARCHAR PRIMARY KEY, batch_id VARCHAR, loaded_at TIMESTAMP)`,
    );
    await this.connection.run(
      `CREATE TABLE IF NOT EXISTS ${this.#tombstones} (event_id VARCHAR PRIMARY KEY, sequence_number VARCHAR)`,
    );
    await documentTable(this.connection, this.schema, this.tableName);
    this.#ready = true;
  }

  async readColumns(): Promise<ColumnDef[]> {
    return (await this.#tableColumns()).columns;
  }

  async loadedFiles(keys: readonly string[]): Promise<Set<string>> {
    await this.#ensureTables();
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const marks = chunk.map((_, j) => `$${j + 1}`).join(', ');
      const reader = await this.connection.runAndReadAll(
        `SELECT file FROM ${this.#ledger} WHERE file IN (${marks})`,
        [...chunk],
      );
      for (const [file] of reader.getRows()) found.add(String(file));
    }
    return found;
  }

  async load(batch: LoadBatch): Promise<LoadResult> {
    const result = await this.#load(batch, this.#db.readLimited).catch((error: unknown) => {
      if (!this.#db.readLimited || !isOutOfMemory(error)) throw error;
      return this.#load(batch, false); // rolled back: the same load, reading under the full limit
    });
    this.#loads += 1;
    if (this.path !== ':memory:' && this.#loads >= (this.options.reopenEveryLoads ?? REOPEN_EVERY_LOADS))
      await this.#reopen();
    return result;
  }

  /**
   * DuckDB keeps memory outside `memory_limit` that grows with what a session wrote (peak RSS +160 MB over
   * 1,000,000 events); a new instance on the same file starts from what the file needs.
   */
  async #reopen(): Promise<void> {
    await this.close();
    this.#db = await openWarehouse(this.path, this.options);
    this.#loads = 0;
  }

  async #load(batch: LoadBatch, readLimited: boolean): Promise<LoadResult> {
    await this.#ensureTables();
    const c = this.connection;
    // Outside the transaction: should DuckDB refuse to evict, the load goes on under the full limit.
    if (readLimited) {
      const readLimit = this.options.readMemoryLimit ?? DUCKDB_READ_MEMORY_LIMIT;
      await c.run(`SET memory_limit = ${quoteLiteral(readLimit)}`).catch(() => undefined);
    }
    await c.run('BEGIN TRANSACTION');
    try {
      const already = await this.loadedFiles(batch.files);
      if (already.size > 0) {
        throw new TransientError(
          `batch ${batch.batchId}: ${already.size} file(s) already loaded by another writer`,
        );
      }
      const { columns: tableColumns, ownTypesOnly } = await this.#tableColumns();
      const existing = new Map(tableColumns.map((col) => [col.name.toLowerCase(), col]));
      const columnsBefore = tableColumns.length;
      for (const col of batch.columns) {
        const have = existing.get(col.name.toLowerCase());
        if (have) {
          if (have.type !== col.type) throw typeChanged(col, have, batch.batchId);
          continue;
        }
        await c.run(
          `ALTER TABLE ${this.#table} ADD COLUMN ${quoteIdent(col.name)} ${DUCKDB_TYPES[col.type]}`,
        );
        existing.set(col.name.toLowerCase(), col);
        tableColumns.push(col);
      }
      if (tableColumns.length > columnsBefore) await documentTable(c, this.schema, this.tableName);
      // Only the three key columns are staged when every table column has a type this sink creates: the new rows
      // are then appended straight into the table (no wide copy in DuckDB's memory, no wide INSERT ... SELECT).
      const rows = ownTypesOnly ? await this.#stageKeys(batch) : await this.#stageRows(batch);
      const plan = loadPlan(
        DUCKDB_DIALECT,
        { table: this.#table, tombstones: this.#tombstones, ledger: this.#ledger },
        {
          rows,
          ...(batch.deletes.length > 0 ? { deletes: await this.#stageDeletes(batch) } : {}),
          parameters: [],
        },
        { batchId: batch.batchId, files: batch.files, batchColumns: batch.columns },
      );
      const counts = await this.#all(plan.counts);
      const result = loadResult(counts[0] ?? [], batch.rows.length, batch.deletes.length);
      for (const s of plan.changes) await this.#exec(s);
      await this.#fullLimit();
      if (ownTypesOnly) {
        const insert = new Set((await this.#all(plan.insertableKeys)).map(([id]) => String(id)));
        await this.#append(batch, tableColumns, insert);
      } else if (plan.insert) {
        await this.#exec(plan.insert);
      }
      for (const s of plan.ledger) await this.#exec(s);
      await c.run('COMMIT');
      // Write the batch into the file now: un-checkpointed rows stay in memory (RSS grew ~18 MB a batch) and
      // would all be checkpointed at once on close (at 200,000 events: 6.6 s and peak RSS 823 -> 2,187 MB).
      await c.run('CHECKPOINT');
      return result;
    } catch (error) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await this.#fullLimit().catch(() => undefined);
      await c.run(`DROP TABLE IF EXISTS ${quoteIdent(STAGE)}`).catch(() => undefined);
      await c.run(`DROP TABLE IF EXISTS ${quoteIdent(STAGE_DELETES)}`).catch(() => undefined);
      await c.run(`DROP TABLE IF EXISTS ${quoteIdent(STAGE_KEYS)}`).catch(() => undefined);
    }
  }

  /** Back to the full limit after a load's reads (see {@link DUCKDB_READ_MEMORY_LIMIT}). */
  async #fullLimit(): Promise<void> {
    if (this.#db.readLimited)
      await this.connection.run(`SET memory_limit = ${quoteLiteral(DUCKDB_MEMORY_LIMIT)}`);
  }

  async #exec(statement: SqlStatement): Promise<void> {
    await this.connection.run(statement.sql, params(statement));
  }

  async #all(statement: SqlStatement): Promise<DuckDBValue[][]> {
    return (await this.connection.runAndReadAll(statement.sql, params(statement))).getRows();
  }

  /** The table's columns in table order, and whether every one has a type this sink creates (exact appends). */
  async #tableColumns(): Promise<{ columns: ColumnDef[]; ownTypesOnly: boolean }> {
    const reader = await this.connection.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [this.schema, this.tableName],
    );
    const own = new Set(Object.values(DUCKDB_TYPES));
    const columns: ColumnDef[] = [];
    let ownTypesOnly = true;
    for (const [name, type] of reader.getRows()) {
      const logical = logicalType(String(type));
      if (!own.has(String(type).toUpperCase())) ownTypesOnly = false;
      if (!logical) {
        throw new ConfigError(
          `column ${String(name)} of ${this.#table} has type ${String(type)}, which the load cannot write: change it back or drop the column`,
        );
      }
      columns.push({ name: String(name), type: logical });
    }
    return { columns, ownTypesOnly };
  }

  /** Stages event_id, sequence and hash of the batch's rows; returns the staged table's name. */
  async #stageKeys(batch: LoadBatch): Promise<string> {
    const c = this.connection;
    await c.run(
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(STAGE_KEYS)} (event_id VARCHAR, pipeline_sequence_number VARCHAR, pipeline_content_hash VARCHAR)`,
    );
    const key = ['event_id', 'pipeline_sequence_number', 'pipeline_content_hash'].map((n) =>
      columnIndex(batch, n),
    );
    const keys = await c.createAppender(STAGE_KEYS, 'main', 'temp');
    try {
      appendRows(
        keys,
        key.map((at) => ({ at, type: 'VARCHAR' as const })),
        batch.rows,
      );
      keys.flushSync();
    } finally {
      keys.closeSync();
    }
    return `temp.main.${quoteIdent(STAGE_KEYS)}`;
  }

  /** The wide staging table (only for a table with column types this sink does not create). */
  async #stageRows(batch: LoadBatch): Promise<string> {
    const c = this.connection;
    const defs = batch.columns.map((col) => `${quoteIdent(col.name)} ${DUCKDB_TYPES[col.type]}`).join(', ');
    await c.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(STAGE)} (${defs})`);
    const appender = await c.createAppender(STAGE, 'main', 'temp');
    try {
      appendRows(
        appender,
        batch.columns.map((col, at) => ({ at, type: col.type })),
        batch.rows,
      );
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return `temp.main.${quoteIdent(STAGE)}`;
  }

  async #stageDeletes(batch: LoadBatch): Promise<string> {
    const c = this.connection;
    await c.run(
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(STAGE_DELETES)} (event_id VARCHAR, sequence_number VARCHAR)`,
    );
    const del = await c.createAppender(STAGE_DELETES, 'main', 'temp');
    try {
      for (const d of batch.deletes) {
        del.appendVarchar(d.eventId);
        del.appendVarchar(d.sequenceNumber);
        del.endRow();
      }
      del.flushSync();
    } finally {
      del.closeSync();
    }
    return `temp.main.${quoteIdent(STAGE_DELETES)}`;
  }

  /** Appends the rows the rule decided to insert, in table order (a column the batch lacks gets NULL). */
  async #append(
    batch: LoadBatch,
    tableColumns: readonly ColumnDef[],
    insert: ReadonlySet<string>,
  ): Promise<void> {
    if (insert.size === 0) return;
    // Names match case-insensitively, as in SQL.
    const byLower = new Map(batch.columns.map((col, i) => [col.name.toLowerCase(), i]));
    const plan = tableColumns.map((col) => ({ at: byLower.get(col.name.toLowerCase()), type: col.type }));
    const id = columnIndex(batch, 'event_id') ?? 0;
    const appender = await this.connection.createAppender(this.tableName, this.schema, CATALOG);
    try {
      appendRows(appender, plan, batch.rows, (row) => insert.has(String(row[id])));
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async close(): Promise<void> {
    this.#db.connection.closeSync();
    this.#db.instance.closeSync();
  }
}
