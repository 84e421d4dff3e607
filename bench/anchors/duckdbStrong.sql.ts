/**
 * Anchor "strong DuckDB": how a DuckDB user would write the job knowing the column plan (the catalog) ahead:
 * parse each body once into a map keyed by signal code, then one JSON extraction per catalog column in a single
 * CREATE TABLE AS. The plan (column -> signal, field, grid cell, type) comes from {@link PLAN_SQL}, run untimed on
 * a sample of the input: the pipeline has its signal catalog ahead too.
 */
import { eventsSql, FIXED_COLUMNS_SQL } from './duckdbNative.sql.js';

export interface PlanColumn {
  readonly col: string;
  /** Signal code, `group_name`. */
  readonly base: string;
  /** 'value' for value-only bodies, the body field otherwise, '' for the signal's OEM timestamp. */
  readonly field: string;
  /** Grid cells: the cell's row, column and field inside the cell. */
  readonly row?: number;
  readonly column?: number;
  readonly cell?: string;
  readonly type: string;
}

/**
 * The column plan of the events in `ev` (see eventsSql): same naming as the pivot anchor's LONG_SQL, with each
 * column's source kept, and its type from the JSON types of its values.
 */
export const PLAN_SQL = `WITH sig AS (
  SELECT s."group" || '_' || s."name" AS base, json(s.body) AS body, s.meta.oemUpdatedAt AS oem
  FROM (SELECT unnest(i.signals) AS s FROM ev)
  WHERE s.status."value" IS DISTINCT FROM 'ERROR'
), sig1 AS (
  SELECT *, json_keys(body) = ['value'] AS value_only FROM sig
), field AS (
  SELECT sig1.base, sig1.value_only, e."key" AS k, e."value" AS v,
         CASE WHEN e."type" = 'ARRAY' THEN
           json_array_length(e."value") > 0
           AND json_array_length(e."value") = len(list_filter(json_extract(e."value", '$[*].row'), x -> json_type(x) IN ('UBIGINT', 'BIGINT')))
           AND json_array_length(e."value") = len(list_filter(json_extract(e."value", '$[*].column'), x -> json_type(x) IN ('UBIGINT', 'BIGINT')))
         ELSE false END AS grid
  FROM sig1, json_each(sig1.body) e
), plan AS (
  SELECT CASE WHEN value_only THEN base ELSE base || '_' || k END AS col, base, k AS field,
         NULL::INT AS r, NULL::INT AS c, NULL::VARCHAR AS cell, json_type(v) AS t
  FROM field WHERE NOT grid
  UNION ALL
  SELECT f.base || '_' || CASE WHEN f.k = 'values' THEN '' ELSE f.k || '_' END
           || 'r' || (c."value"->>'row') || 'c' || (c."value"->>'column') || '_' || x."key",
         f.base, f.k, (c."value"->>'row')::INT, (c."value"->>'column')::INT, x."key", json_type(x."value")
  FROM field f, json_each(f.v) c, json_each(c."value") x
  WHERE f.grid AND x."key" NOT IN ('row', 'column')
  UNION ALL
  SELECT base || '__oem_updated_at', base, '', NULL, NULL, NULL, 'TIMESTAMP' FROM sig WHERE oem IS NOT NULL AND oem <> 0
)
SELECT col, any_value(base), any_value(field), any_value(r), any_value(c), any_value(cell),
  CASE WHEN bool_and(t = 'TIMESTAMP') THEN 'TIMESTAMP'
       WHEN bool_and(t IN ('BOOLEAN', 'NULL')) THEN 'BOOLEAN'
       WHEN bool_and(t IN ('UBIGINT', 'BIGINT', 'DOUBLE', 'NULL')) THEN 'DOUBLE'
       ELSE 'VARCHAR' END
FROM plan GROUP BY col ORDER BY col`;

export function planColumns(rows: readonly (readonly unknown[])[]): PlanColumn[] {
  return rows.map(([col, base, field, row, column, cell, type]) => ({
    col: String(col),
    base: String(base),
    field: String(field),
    ...(row !== null && row !== undefined
      ? { row: Number(row), column: Number(column), cell: String(cell) }
      : {}),
    type: String(type),
  }));
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A JSONPath member step that is safe for any key. */
function member(key: string): string {
  return `."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function expression(p: PlanColumn): string {
  const signal = `m[${literal(p.base)}]`;
  if (p.field === '') return `epoch_ms(nullif(${signal}.o, 0))`;
  let text: string;
  if (p.cell !== undefined) {
    const cells = `CAST(json_extract(${signal}.b, ${literal(`$${member(p.field)}`)}) AS JSON[])`;
    const hit = `list_filter(${cells}, e -> (e->>'row')::INT = ${p.row} AND (e->>'column')::INT = ${p.column})[1]`;
    text = `(${hit} ->> ${literal(`$${member(p.cell)}`)})`;
  } else {
    text = `(${signal}.b ->> ${literal(`$${member(p.field)}`)})`;
  }
  return p.type === 'TIMESTAMP' ? `epoch_ms(${text}::BIGINT)` : `${text}::${p.type}`;
}

/** The whole job in one statement: raw files -> latest version per event -> one map per event -> wide table. */
export function strongSql(table: string, files: readonly string[], plan: readonly PlanColumn[]): string {
  const events = eventsSql(files).replace(/^CREATE TEMP TABLE ev AS\n/, '');
  const signalColumns = plan.map((p) => `${expression(p)} AS ${quote(p.col)}`).join(',\n  ');
  return `CREATE TABLE ${table} AS
WITH ev AS (${events}),
m AS (
  SELECT i, map_from_entries(list_transform(
           list_filter(i.signals, s -> s.status."value" IS DISTINCT FROM 'ERROR'),
           s -> {k: s."group" || '_' || s."name", v: {b: json(s.body), o: s.meta.oemUpdatedAt}})) AS m
  FROM ev
)
SELECT
${FIXED_COLUMNS_SQL}${signalColumns ? `,\n  ${signalColumns}` : ''}
FROM m`;
}
