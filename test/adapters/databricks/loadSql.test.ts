import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTableName, quoteIdent } from '../../../src/adapters/databricks/databricksSql.js';
import {
  addColumnsSql,
  ensureTablesSql,
  loadBatchSql,
  loadedFilesSql,
  type SqlStatement,
} from '../../../src/adapters/databricks/loadSql.js';
import type { ColumnDef } from '../../../src/core/schema/fixedColumns.js';
import { FIXED_COLUMNS } from '../../../src/core/schema/fixedColumns.js';
import { translateDatabricksSql } from '../../support/databricksFake.js';

const target = parseTableName('main.telemetry.car_telemetry_flattened');
const EXTRA: ColumnDef[] = [
  { name: 'Charge_IsCharging', type: 'BOOLEAN' },
  { name: 'TractionBattery_StateOfCharge_value', type: 'DOUBLE' },
];
const HOSTILE: ColumnDef[] = [
  { name: 'it"s', type: 'VARCHAR' },
  { name: "o'clock", type: 'VARCHAR' },
  { name: 'back`tick``s', type: 'DOUBLE' },
  { name: 'select', type: 'BIGINT' },
  { name: 'from', type: 'BOOLEAN' },
  { name: 'température_°C', type: 'DOUBLE' },
  { name: '名前', type: 'VARCHAR' },
  { name: 'Speed', type: 'DOUBLE' },
  { name: 'speed__h1a2b3c4d', type: 'DOUBLE' },
  { name: 'x'.repeat(300), type: 'TIMESTAMP' },
  { name: 'a, b) DROP TABLE t; --', type: 'VARCHAR' },
];

function render(statements: readonly SqlStatement[]): string {
  return statements
    .map((s) => {
      const params = s.parameters.map((p) => `-- :${p.name} = ${JSON.stringify(p.value)}`).join('\n');
      return `${params ? `${params}\n` : ''}${s.sql};`;
    })
    .join('\n\n');
}

function staged(columns: readonly ColumnDef[], deletes: boolean) {
  return {
    batchId: 'b0123456789abcdef',
    rowsGlob: 's3://bucket/staged/batch_id=b0123456789abcdef/part-*.parquet',
    ...(deletes
      ? { deletesGlob: 's3://bucket/staged/batch_id=b0123456789abcdef/deletes-00000.parquet' }
      : {}),
    columns,
    files: ['telemetry/2025/11/25/20/a.ndjson.gz', 'telemetry/2025/11/25/20/b.ndjson.gz'],
  };
}

function loadScript(
  columns: readonly ColumnDef[],
  tableColumns: readonly ColumnDef[],
  deletes: boolean,
): string {
  const { counts, changes, ledger } = loadBatchSql(target, staged(columns, deletes), tableColumns);
  return render([counts, ...changes, ...ledger]);
}

describe('generated Databricks SQL (golden files)', () => {
  it('first load: schema, table, ledger, tombstones, then the merge', async () => {
    const columns = [...FIXED_COLUMNS, ...EXTRA];
    const sql = `${render(ensureTablesSql(target))}\n\n${render(addColumnsSql(target, EXTRA))}\n\n${loadScript(columns, columns, false)}\n`;
    await expect(sql).toMatchFileSnapshot('__golden__/first-load.sql');
  });

  it('new columns: ADD COLUMNS first; table columns the batch lacks are set to NULL on update', async () => {
    const existing = [...FIXED_COLUMNS, ...EXTRA];
    const added: ColumnDef[] = [{ name: 'Location_PreciseLocation_latitude', type: 'DOUBLE' }];
    const columns = [...FIXED_COLUMNS, EXTRA[0] as ColumnDef, ...added];
    const sql = `${render(addColumnsSql(target, added))}\n\n${loadScript(columns, [...existing, ...added], false)}\n`;
    await expect(sql).toMatchFileSnapshot('__golden__/new-columns.sql');
  });

  it('REMOVE rows: delete older rows, keep tombstones, then merge', async () => {
    const columns = [...FIXED_COLUMNS, ...EXTRA];
    await expect(`${loadScript(columns, columns, true)}\n`).toMatchFileSnapshot('__golden__/remove-rows.sql');
  });

  it('hostile column names are quoted with backticks, embedded backticks doubled', async () => {
    const columns = [...FIXED_COLUMNS, ...HOSTILE];
    const sql = `${render(addColumnsSql(target, HOSTILE))}\n\n${loadScript(columns, columns, false)}\n`;
    await expect(sql).toMatchFileSnapshot('__golden__/hostile-names.sql');
    expect(sql).toContain('`back``tick````s`');
    expect(sql).toContain(`\`${'x'.repeat(300)}\``);
    const { counts, changes } = loadBatchSql(target, staged(columns, true), columns);
    expect([counts, ...changes].some((s) => s.sql.includes('s3://'))).toBe(false);
  });

  it('the ledger lookup is chunked and parameterised', () => {
    const keys = Array.from({ length: 450 }, (_, i) => `raw/${i}'.gz`);
    const statements = loadedFilesSql(target, keys);
    expect(statements).toHaveLength(3);
    expect(statements.every((s) => !s.sql.includes('raw/'))).toBe(true);
    expect(statements.flatMap((s) => s.parameters.map((p) => p.value))).toEqual(keys);
  });
});

describe('quoteIdent', () => {
  it('round-trips any name through a backtick-aware tokenizer (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), (name) => {
        const [duck] = translateDatabricksSql(`SELECT ${quoteIdent(name)}`, {});
        expect(duck).toBe(`SELECT "${name.replaceAll('"', '""')}"`);
      }),
    );
  });
});
