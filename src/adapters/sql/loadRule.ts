import { ConfigError } from '../../core/errors.js';
import type { ColumnDef } from '../../core/schema/fixedColumns.js';
import type { SqlDialect, SqlParameter, SqlStatement } from './SqlDialect.js';

/**
 * THE exactly-once load rule, for every sink (DuckDB, Databricks direct and job mode). Per `event_id`:
 *  - the newest sequence number wins; a version as new as the table's with the same content hash is "unchanged",
 *    with other content (changed flattening rules) an update;
 *  - a version OLDER than the table's row is skipped ({@link SKIPPED_OLDER});
 *  - a newer version replaces the WHOLE row (the older row is deleted, the new one inserted): columns the batch
 *    lacks become NULL;
 *  - a REMOVE deletes only an older row and leaves a tombstone (highest REMOVE sequence) so that an older replay
 *    cannot bring the row back ({@link SKIPPED_REMOVED});
 *  - the batch's raw objects go into the ledger last (in the same transaction where the engine has one; every
 *    statement is safe to re-run where it has not: a crash between any two of them is repaired by a re-run).
 * Aliases in the SQL: `s` staged row, `t` table row, `d` tombstone, `r` staged REMOVE.
 */
export const SKIPPED_OLDER = 'older than the version in the table';
export const SKIPPED_REMOVED = 'deleted by a newer REMOVE';

/** Qualified names of the three tables a load writes. */
export interface LoadTables {
  readonly table: string;
  readonly tombstones: string;
  readonly ledger: string;
}

/**
 * The staged batch as table expressions: `rows` has the batch's columns (at least event_id,
 * pipeline_sequence_number, pipeline_content_hash; one row per event_id), `deletes` has event_id and
 * sequence_number (absent: no REMOVE in the batch), `files` has one `file` column with the raw object keys (absent:
 * the keys travel as parameters). `parameters` are those the expressions use.
 */
export interface StagedSources {
  readonly rows: string;
  readonly deletes?: string;
  readonly files?: string;
  readonly parameters: readonly SqlParameter[];
}

export interface LoadInput {
  readonly batchId: string;
  /** Raw object keys (used when the sources have no `files` expression). */
  readonly files: readonly string[];
  /** The batch's columns (what the staged rows hold; used when the dialect cannot insert by name). */
  readonly batchColumns: readonly ColumnDef[];
}

/** The statements of one load, in order: counts, then `changes`, then `insert`, then `ledger`. */
export interface LoadPlan {
  /** One row: inserted, updated, older, removed_before, deleted (read before the changes). */
  readonly counts: SqlStatement;
  /** Deletes (REMOVEs), tombstones, and the deletion of the rows that newer versions replace. */
  readonly changes: readonly SqlStatement[];
  /** event_id of the staged rows to insert, for a sink that appends them itself instead of running `insert`. */
  readonly insertableKeys: SqlStatement;
  readonly insert: SqlStatement;
  readonly ledger: readonly SqlStatement[];
}

/** At most this many ledger rows (one parameter each) per statement. */
const LEDGER_CHUNK = 200;

export function loadPlan(
  d: SqlDialect,
  tables: LoadTables,
  staged: StagedSources,
  input: LoadInput,
): LoadPlan {
  const q = d.quote;
  const ev = q('event_id');
  const seq = q('pipeline_sequence_number');
  const hash = q('pipeline_content_hash');
  const dseq = q('sequence_number');
  const { table: t, tombstones: tomb, ledger } = tables;
  // Each statement carries only the staged parameters it uses (an unused one is an error on some engines).
  const stmt = (sql: string, parameters?: readonly SqlParameter[]): SqlStatement => ({
    sql,
    parameters: parameters ?? staged.parameters.filter((p) => sql.includes(d.param(p.name))),
  });
  const deletes =
    staged.deletes ??
    `(SELECT CAST(NULL AS ${d.types.VARCHAR}) AS ${ev}, CAST(NULL AS ${d.types.VARCHAR}) AS ${dseq} WHERE 1 = 0)`;

  // The rule's predicates, each written once.
  const replaces = `s.${seq} >= t.${seq} AND s.${hash} IS DISTINCT FROM t.${hash}`;
  const older = `s.${seq} < t.${seq}`;
  const removed = `d.${dseq} >= s.${seq}`;
  const removes = `r.${dseq} > t.${seq}`;
  const notRemoved = (alias: string) =>
    `NOT EXISTS (SELECT 1 FROM ${tomb} AS d WHERE d.${ev} = ${alias}.${ev} AND d.${dseq} >= ${alias}.${seq})`;

  const counts = stmt(`SELECT
  (SELECT count_if(t.${ev} IS NULL AND (d.${ev} IS NULL OR NOT (${removed})))
     FROM ${staged.rows} AS s
     LEFT JOIN ${t} AS t ON t.${ev} = s.${ev}
     LEFT JOIN ${tomb} AS d ON d.${ev} = s.${ev}) AS inserted,
  (SELECT count_if(${replaces}) FROM ${staged.rows} AS s JOIN ${t} AS t ON t.${ev} = s.${ev}) AS updated,
  (SELECT count_if(${older}) FROM ${staged.rows} AS s JOIN ${t} AS t ON t.${ev} = s.${ev}) AS older,
  (SELECT count_if(t.${ev} IS NULL)
     FROM ${staged.rows} AS s
     JOIN ${tomb} AS d ON d.${ev} = s.${ev} AND ${removed}
     LEFT JOIN ${t} AS t ON t.${ev} = s.${ev}) AS removed_before,
  (SELECT count(*) FROM ${deletes} AS r JOIN ${t} AS t ON t.${ev} = r.${ev} WHERE ${removes}) AS deleted`);

  const changes: SqlStatement[] = [];
  if (staged.deletes) {
    changes.push(
      stmt(
        d.deleteByKey(
          t,
          `SELECT r.${ev} FROM ${deletes} AS r JOIN ${t} AS t ON t.${ev} = r.${ev} WHERE ${removes}`,
        ),
      ),
      stmt(`MERGE INTO ${tomb} AS d
USING ${deletes} AS r
ON d.${ev} = r.${ev}
WHEN MATCHED AND r.${dseq} > d.${dseq} THEN UPDATE SET ${dseq} = r.${dseq}
WHEN NOT MATCHED THEN INSERT (${ev}, ${dseq}) VALUES (r.${ev}, r.${dseq})`),
    );
  }
  // Whole-row replacement: the older row goes, the newer one is inserted below with NULL for absent columns.
  changes.push(
    stmt(
      d.deleteByKey(
        t,
        `SELECT s.${ev} FROM ${staged.rows} AS s JOIN ${t} AS t ON t.${ev} = s.${ev} WHERE ${replaces}`,
      ),
    ),
  );

  const insertableKeys = stmt(
    `SELECT s.${ev} FROM ${staged.rows} AS s
WHERE NOT EXISTS (SELECT 1 FROM ${t} AS t WHERE t.${ev} = s.${ev}) AND ${notRemoved('s')}`,
  );
  const names = input.batchColumns.map((c) => q(c.name));
  const insert = d.insertByName
    ? stmt(d.insertByName(t, `(SELECT * FROM ${staged.rows} AS s0 WHERE ${notRemoved('s0')})`))
    : stmt(`INSERT INTO ${t} (${names.join(', ')})
SELECT ${names.map((n) => `s.${n}`).join(', ')} FROM ${staged.rows} AS s
WHERE NOT EXISTS (SELECT 1 FROM ${t} AS t WHERE t.${ev} = s.${ev}) AND ${notRemoved('s')}`);

  const batch = d.param('batch_id');
  const ledgerRow = (from: string, parameters?: readonly SqlParameter[]) =>
    stmt(
      `INSERT INTO ${ledger} (${q('batch_id')}, ${q('file')}, ${q('loaded_at')})
SELECT ${batch}, v.${q('file')}, ${d.now} FROM ${from}
WHERE NOT EXISTS (SELECT 1 FROM ${ledger} AS l WHERE l.${q('file')} = v.${q('file')})`,
      parameters,
    );
  const ledgerStatements: SqlStatement[] = [];
  if (staged.files) {
    ledgerStatements.push(ledgerRow(`${staged.files} AS v`));
  } else {
    for (let i = 0; i < input.files.length; i += LEDGER_CHUNK) {
      const part = input.files.slice(i, i + LEDGER_CHUNK);
      ledgerStatements.push(
        ledgerRow(`(VALUES ${part.map((_, j) => `(${d.param(`f${j}`)})`).join(', ')}) AS v(${q('file')})`, [
          { name: 'batch_id', value: input.batchId },
          ...part.map((value, j) => ({ name: `f${j}`, value })),
        ]),
      );
    }
  }
  return { counts, changes, insertableKeys, insert, ledger: ledgerStatements };
}

/** The counts row of {@link loadPlan} -> a LoadResult for `rows` upserts and `deletes` REMOVE records. */
export function loadResult(
  row: readonly unknown[],
  rows: number,
  deletes: number,
): {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
  skippedByReason?: Record<string, number>;
} {
  const [inserted = 0, updated = 0, older = 0, removedBefore = 0, deleted = 0] = row.map((v) =>
    Number(v ?? 0),
  );
  const skippedByReason: Record<string, number> = {};
  if (older > 0) skippedByReason[SKIPPED_OLDER] = older;
  if (removedBefore > 0) skippedByReason[SKIPPED_REMOVED] = removedBefore;
  const unchanged = rows + deletes - inserted - updated - older - removedBefore - deleted;
  const skipped = Object.keys(skippedByReason).length > 0 ? { skippedByReason } : {};
  return { inserted, updated, deleted, unchanged, ...skipped };
}

/**
 * The type-change policy of every sink (part of the TableSink contract): a column's type never changes silently;
 * a batch with another type for an existing column is refused, naming the column.
 */
export function typeChanged(col: ColumnDef, have: ColumnDef, batchId: string): ConfigError {
  return new ConfigError(
    `column ${col.name} is ${have.type} in the table but ${col.type} in batch ${batchId}: types never change silently`,
  );
}
