import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTableName, quoteIdent } from '../../../src/adapters/databricks/databricksSql.js';
import { loadJobSql } from '../../../src/adapters/databricks/jobSql.js';
import {
  ensureTablesSql,
  LOAD_PARAMETERS,
  loadBatchSql,
  loadedFilesSql,
  loadParameters,
  loadSequence,
  type SqlStatement,
} from '../../../src/adapters/databricks/loadSql.js';
import { translateDatabricksSql } from '../../support/databricksFake.js';

const target = parseTableName('main.telemetry.car_telemetry_flattened');
const s3 = (key: string) => `s3://bucket/${key}`;

function render(statements: readonly SqlStatement[]): string {
  return statements
    .map((s) => {
      const params = s.parameters.map((p) => `-- :${p.name} = ${JSON.stringify(p.value)}`).join('\n');
      return `${params ? `${params}\n` : ''}${s.sql};`;
    })
    .join('\n\n');
}

describe('generated Databricks SQL', () => {
  it('one load (golden): schema and tables, then guard, log, deletes, tombstones, replacement, insert, ledger', async () => {
    const load = loadSequence(loadBatchSql(target, loadParameters(s3, 'staged/', 'b0123456789abcdef')));
    await expect(`${render([...ensureTablesSql(target), ...load])}\n`).toMatchFileSnapshot(
      '__golden__/load-batch.sql',
    );
  });

  it('the statements are the same for every batch (only parameter values differ), so job mode can run them from a file', () => {
    const a = loadSequence(loadBatchSql(target, loadParameters(s3, 'staged/', 'b1')));
    const b = loadSequence(loadBatchSql(target, loadParameters(s3, 'other/', 'b2')));
    expect(a.map((s) => s.sql)).toEqual(b.map((s) => s.sql));
    expect(
      a
        .flatMap((s) => s.parameters.map((p) => p.name))
        .every((n) => (LOAD_PARAMETERS as readonly string[]).includes(n)),
    ).toBe(true);
    expect(a.some((s) => s.sql.includes('s3://'))).toBe(false);
  });

  it('job mode runs exactly the statements direct mode sends (one load rule), with the batch as job parameters', async () => {
    const file = loadJobSql(target);
    for (const s of loadSequence(loadBatchSql(target, loadParameters(s3, 'staged/', 'b1')))) {
      expect(file).toContain(`${s.sql};`);
    }
    expect(file).not.toMatch(/_manifest|batch_id=|QUALIFY|UPDATE SET \*/);
    await expect(file).toMatchFileSnapshot('__golden__/job-load-batch.sql');
  });

  it('every read_files reads one batch, adds no _rescued_data of its own, and fixes the schema where it does not vary', () => {
    const sql = loadSequence(loadBatchSql(target, loadParameters(s3, 'staged/', 'b1')))
      .map((s) => s.sql)
      .join('\n');
    const calls = [...sql.matchAll(/read_files\((:[a-z_]+)[^)]*\)/g)];
    expect(calls.length).toBeGreaterThan(3);
    for (const [call, path] of calls) {
      expect(call).toContain("schemaEvolutionMode => 'none'");
      if (path !== ':rows_path') expect(call).toContain('schema => ');
    }
    const paths = Object.fromEntries(loadParameters(s3, 'staged/', 'b1').map((p) => [p.name, p.value]));
    expect(paths).toEqual({
      batch_id: 'b1',
      rows_path: 's3://bucket/staged/batch-b1/part-*.parquet',
      deletes_path: 's3://bucket/staged/batch-b1/deletes-00000.parquet',
      manifest_path: 's3://bucket/staged/batch-b1/manifest.json',
    });
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
