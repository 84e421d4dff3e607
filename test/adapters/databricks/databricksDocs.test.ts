import { describe, expect, it } from 'vitest';
import {
  columnCommentSql,
  columnCommentsBatchSql,
  columnCommentsSql,
  documentTableSql,
  latestStateViewSql,
  piiTagsSql,
  tableCommentSql,
} from '../../../src/adapters/databricks/databricksDocs.js';
import { parseTableName, sqlString } from '../../../src/adapters/databricks/databricksSql.js';
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
