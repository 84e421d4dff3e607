import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  columnCommentSql,
  columnCommentsBatchSql,
  columnCommentsSql,
  columnDocEntries,
  documentTableSql,
  hole,
  JOB_DOC_SLOTS,
  jobDocsSql,
  latestStateViewSql,
  MANIFEST_DOCS_SCHEMA,
  piiTagsSql,
  tableCommentSql,
  textSql,
} from '../../../src/adapters/databricks/databricksDocs.js';
import { parseTableName, quoteIdent, sqlString } from '../../../src/adapters/databricks/databricksSql.js';
import { columnComment, describeColumn } from '../../../src/core/catalog/columnDocs.js';

const target = parseTableName('main.telemetry.car_telemetry_flattened');
const T = '`main`.`telemetry`.`car_telemetry_flattened`';
const reEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&');

describe('column comments and pii tags', () => {
  it('comments all new columns in one statement and tags each sensitive one pii', () => {
    // Act
    const comments = columnCommentsBatchSql(target, [
      'vehicle_id',
      'TractionBattery_StateOfCharge_value',
    ]).sql;
    const tags = piiTagsSql(target, ['vehicle_id', 'TractionBattery_StateOfCharge_value']).map((s) => s.sql);
    // Assess
    expect(comments).toMatch(
      new RegExp(
        `^ALTER TABLE ${reEscape(T)} ALTER COLUMN \\\`vehicle_id\\\` COMMENT 'Smartcar vehicle id\\. Classification: pii\\.',\n  \\\`TractionBattery_StateOfCharge_value\\\` COMMENT 'Smartcar .*tractionbattery-stateofcharge.*Classification: internal\\.'$`,
      ),
    );
    expect(tags).toEqual([
      `ALTER TABLE ${T} ALTER COLUMN \`vehicle_id\` SET TAGS ('classification' = 'pii')`,
    ]);
  });

  it('quotes a hostile column name as an identifier (never as SQL), in comments and tags alike', () => {
    // Prepare: backticks, a quote, a backslash and "latitude" (undocumented, so classified pii by its name)
    const name = "x`; DROP TABLE t; --\\'latitude";
    // Act
    const comment = columnCommentSql(target, name).sql;
    const batch = columnCommentsBatchSql(target, [name]).sql;
    const [tag] = piiTagsSql(target, [name]).map((s) => s.sql);
    // Assess
    const ident = "`x``; DROP TABLE t; --\\'latitude`";
    const text =
      "'A field the signal catalog does not document, added when it first arrived (type inferred). Classification: pii.'";
    expect(comment).toBe(`COMMENT ON COLUMN ${T}.${ident} IS ${text}`);
    expect(batch).toBe(`ALTER TABLE ${T} ALTER COLUMN ${ident} COMMENT ${text}`);
    expect(tag).toBe(`ALTER TABLE ${T} ALTER COLUMN ${ident} SET TAGS ('classification' = 'pii')`);
  });

  it("writes a comment's quotes and backslashes with backslash escapes (Databricks string literals)", () => {
    // Prepare
    const text = columnComment(describeColumn('car_timezone'));
    // Act
    const comment = columnCommentSql(target, 'car_timezone').sql;
    // Assess
    expect(text).toContain("car's");
    expect(comment).toBe(`COMMENT ON COLUMN ${T}.\`car_timezone\` IS '${text.replaceAll("'", "\\'")}'`);
    expect(sqlString("a\\'b")).toBe("'a\\\\\\'b'");
  });
});

describe('documentTableSql', () => {
  it('documents only the columns without a comment, then the table comment and the view over all columns', () => {
    // Prepare: rows as columnCommentsSql returns them (name, commented 0/1)
    const rows = [
      ['event_id', '1'],
      ['vehicle_id', '1'],
      ['recorded_at', '1'],
      ['Location_PreciseLocation_latitude', '0'],
    ];
    // Act
    const docs = documentTableSql(target, rows);
    // Assess
    expect(docs.columns).toEqual(['Location_PreciseLocation_latitude']);
    expect(docs.comments?.sql).toMatch(/ALTER COLUMN `Location_PreciseLocation_latitude` COMMENT '.*pii\.'$/);
    expect(docs.rest.map((s) => s.sql)).toEqual([
      `ALTER TABLE ${T} ALTER COLUMN \`Location_PreciseLocation_latitude\` SET TAGS ('classification' = 'pii')`,
      tableCommentSql(target).sql,
      latestStateViewSql(
        target,
        rows.map(([n]) => n as string),
      ).sql,
    ]);
  });

  it('writes nothing when every column has a comment (a user-written comment is kept)', () => {
    expect(
      documentTableSql(target, [
        ['event_id', '1'],
        ['x', '1'],
      ]),
    ).toEqual({ columns: [], comments: undefined, rest: [] });
  });
});

describe('latestStateViewSql', () => {
  it('takes each signal column (and make, model, year) with max_by over recorded_at then the order key, non-null values only', () => {
    // Act
    const sql = latestStateViewSql(target, ['event_id', 'recorded_at', 'a`b']).sql;
    // Assess
    expect(sql).toMatch(/^CREATE OR REPLACE VIEW `main`.`telemetry`.`car_latest_state`\n/);
    expect(sql).toContain(
      "max_by(`a``b`, CASE WHEN `a``b` IS NOT NULL AND `recorded_at` IS NOT NULL THEN named_struct('at', `recorded_at`, 'seq', coalesce(`pipeline_sequence_number`, '')) END) AS `a``b`",
    );
    expect(sql).toContain('AS `a``b__observed_at`');
    expect(sql).toContain('AS `vehicle_year__observed_at`');
    expect(sql).not.toContain('max_by(`event_id`');
  });
});

describe('columnCommentsSql', () => {
  it('reads the columns with named parameters, never spliced names', () => {
    const s = columnCommentsSql(target);
    expect(s.sql).not.toContain('car_telemetry_flattened');
    expect(s.parameters.map((p) => p.value)).toEqual(['main', 'telemetry', 'car_telemetry_flattened']);
  });
});

/**
 * Evaluates what textSql builds (concat / replace over string literals with backslash escapes, as Databricks SQL
 * reads them), so the tests can compare the warehouse-built text with the direct-mode text.
 */
function evaluate(sql: string): string {
  let i = 0;
  const space = () => {
    while (/\s/.test(sql[i] ?? '')) i++;
  };
  const expr = (): string => {
    space();
    if (sql[i] === "'") {
      let out = '';
      for (i++; sql[i] !== "'"; i++) out += sql[i] === '\\' ? (sql[++i] ?? '') : sql[i];
      i++;
      return out;
    }
    const name = /^[a-z_]+/.exec(sql.slice(i))?.[0] ?? '';
    i += name.length;
    space();
    if (sql[i] !== '(') throw new Error(`unexpected ${sql.slice(i, i + 20)}`);
    i++;
    const args: string[] = [];
    for (;;) {
      args.push(expr());
      space();
      if (sql[i++] === ')') break;
    }
    if (name === 'concat') return args.join('');
    if (name === 'replace') return (args[0] ?? '').replaceAll(args[1] ?? '', args[2] ?? '');
    throw new Error(`unknown function ${name}`);
  };
  const value = expr();
  space();
  if (i !== sql.length) throw new Error(`trailing ${sql.slice(i)}`);
  return value;
}

describe('job mode: the same statements, built in SQL', () => {
  it('textSql builds the text a builder makes, each value quoted where it stands (any name or text, property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (name, text) => {
        // Prepare: the builder's text with holes, and the values as SQL (string literals here; columns in the job)
        const shape = (n: string, t: string) =>
          `ALTER TABLE ${T} ALTER COLUMN ${quoteIdent(n)} COMMENT ${sqlString(t)}, ${quoteIdent(`${n}__x`)} x`;
        // Act
        const built = evaluate(textSql(shape(hole(0), hole(1)), [sqlString(name), sqlString(text)]));
        // Assess
        expect(built).toBe(shape(name, text));
      }),
    );
  });

  it("the job's statements are the same for every batch: tags, comments, table comment and view built from the manifest and information_schema, run by EXECUTE IMMEDIATE", () => {
    // Act
    const statements = jobDocsSql(
      target,
      (schema) => `read_files(:manifest_path, schema => ${sqlString(schema)})`,
    );
    const program = statements[2]?.sql ?? '';
    // Assess: two declarations, the program, then one SET VAR + EXECUTE IMMEDIATE per slot
    expect(statements).toHaveLength(3 + 2 * JOB_DOC_SLOTS);
    expect(statements.every((s) => s.parameters.length === 0)).toBe(true);
    expect(program).toMatch(/^SET VAR telemetry_docs = \(/);
    expect(program).toContain(sqlString(MANIFEST_DOCS_SCHEMA));
    expect(program).toContain(sqlString(tableCommentSql(target).sql));
    expect(program).toContain("replace(name, '`', '``')");
    expect(statements.slice(3).map((s) => s.sql)).toContain('EXECUTE IMMEDIATE telemetry_doc');
    // The comments come last: they mark columns done, so a run cut short by the slots is finished by the next one.
    expect(program.indexOf(sqlString(tableCommentSql(target).sql))).toBeLessThan(
      program.indexOf(`concat(${sqlString(`ALTER TABLE ${T} ALTER COLUMN `)}, array_join(`),
    );
  });

  it('stages the docs of the fixed and batch columns in the words direct mode writes', () => {
    // Act
    const [vehicle, hostile] = columnDocEntries(['vehicle_id', "x`'latitude"]);
    // Assess
    expect(vehicle).toEqual({
      name: 'vehicle_id',
      comment: columnComment(describeColumn('vehicle_id')),
      pii: true,
    });
    expect(hostile?.pii).toBe(true);
  });
});
