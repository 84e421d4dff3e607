/**
 * Anchor "embedded engine": DuckDB doing the whole job natively in SQL, the way a DuckDB user would write it:
 * read_json with an explicit schema, keep the latest version of each event, unnest the signals, parse each body
 * once (json_each), turn grid arrays into `r{row}c{column}` cells, pivot the long (event, column, value) rows
 * into the same wide columns, cast each column to the type its values have, insert into a table.
 * Column naming follows the pipeline's rules for clean names (hashed names of odd keys are not reproduced).
 */

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const NEW_IMAGE = `STRUCT(
  event_id VARCHAR, event_type VARCHAR, recorded_at VARCHAR, record_type VARCHAR, smartcar_user_id VARCHAR,
  car_timezone VARCHAR,
  meta STRUCT(mode VARCHAR, deliveryId VARCHAR, webhookId VARCHAR, signalCount BIGINT, webhookName VARCHAR,
              version VARCHAR, deliveredAt BIGINT),
  "user" STRUCT(id VARCHAR),
  vehicle STRUCT(id VARCHAR, make VARCHAR, model VARCHAR, "year" BIGINT),
  signals STRUCT(code VARCHAR, "name" VARCHAR, "group" VARCHAR, body VARCHAR, status STRUCT("value" VARCHAR),
                 meta STRUCT(oemUpdatedAt BIGINT))[],
  triggers JSON)`;

/** Latest version of each event (highest sequence number), from the raw objects. */
export function eventsSql(files: readonly string[]): string {
  const list = `[${files.map(literal).join(', ')}]`;
  return `CREATE TEMP TABLE ev AS
SELECT newImage AS i
FROM read_json(${list}, format = 'newline_delimited', compression = 'gzip',
               columns = {eventName: 'VARCHAR', sequenceNumber: 'VARCHAR', newImage: '${NEW_IMAGE.replaceAll("'", "''")}'})
WHERE eventName IN ('INSERT', 'MODIFY') AND newImage.event_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY newImage.event_id ORDER BY sequenceNumber DESC) = 1`;
}

/** Long format: one (event_id, col, value JSON) row per body field, grid cell field and signal timestamp. */
export const LONG_SQL = `CREATE TEMP TABLE kv AS
WITH sig AS (
  SELECT event_id, s."group" || '_' || s."name" AS base, json(s.body) AS body, s.meta.oemUpdatedAt AS oem
  FROM (SELECT i.event_id AS event_id, unnest(i.signals) AS s FROM ev)
  WHERE s.status."value" IS DISTINCT FROM 'ERROR'
), sig1 AS (
  -- once per signal, not once per field: is the body exactly {"value": ...}?
  SELECT *, json_keys(body) = ['value'] AS value_only FROM sig
), field AS (
  SELECT sig1.event_id, sig1.base, sig1.value_only, e."key" AS k, e."value" AS v,
         -- the grid test only runs on arrays (CASE evaluates a branch only for the rows that take it)
         CASE WHEN e."type" = 'ARRAY' THEN
           json_array_length(e."value") > 0
           AND json_array_length(e."value") = len(list_filter(json_extract(e."value", '$[*].row'), x -> json_type(x) IN ('UBIGINT', 'BIGINT')))
           AND json_array_length(e."value") = len(list_filter(json_extract(e."value", '$[*].column'), x -> json_type(x) IN ('UBIGINT', 'BIGINT')))
         ELSE false END AS grid
  FROM sig1, json_each(sig1.body) e
)
SELECT event_id, CASE WHEN value_only THEN base ELSE base || '_' || k END AS col, v AS value
FROM field WHERE NOT grid
UNION ALL
SELECT f.event_id,
       f.base || '_' || CASE WHEN f.k = 'values' THEN '' ELSE f.k || '_' END
         || 'r' || (c."value"->>'row') || 'c' || (c."value"->>'column') || '_' || x."key" AS col,
       x."value" AS value
FROM field f, json_each(f.v) c, json_each(c."value") x
WHERE f.grid AND x."key" NOT IN ('row', 'column')
UNION ALL
SELECT event_id, base || '__oem_updated_at', to_json(oem) FROM sig WHERE oem IS NOT NULL AND oem <> 0`;

/** Each column's type, from the JSON types of its values. */
export const TYPES_SQL = `SELECT col,
  CASE WHEN col LIKE '%\\_\\_oem\\_updated\\_at' ESCAPE '\\' THEN 'TIMESTAMP'
       WHEN bool_and(t IN ('BOOLEAN', 'NULL')) THEN 'BOOLEAN'
       WHEN bool_and(t IN ('UBIGINT', 'BIGINT', 'DOUBLE', 'NULL')) THEN 'DOUBLE'
       ELSE 'VARCHAR' END AS type
FROM (SELECT col, json_type(value) AS t FROM kv) GROUP BY col ORDER BY col`;

export const PIVOT_SQL = 'CREATE TEMP TABLE wide AS PIVOT kv ON col USING first(value) GROUP BY event_id';

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function cast(col: string, type: string): string {
  const text = `(w.${quote(col)} ->> '$')`;
  if (type === 'TIMESTAMP') return `epoch_ms(${text}::BIGINT)`;
  return `${text}::${type}`;
}

/** The fixed columns, taken from the event `i` (both DuckDB anchors select them the same way). */
export const FIXED_COLUMNS_SQL = `  i.event_id, i.event_type, strptime(i.recorded_at, '%Y-%m-%d %H:%M:%S') AS recorded_at, i.record_type,
  coalesce(i.smartcar_user_id, i."user".id) AS smartcar_user_id, i.car_timezone,
  i.vehicle.id AS vehicle_id, i.vehicle.make AS vehicle_make, i.vehicle.model AS vehicle_model,
  i.vehicle."year" AS vehicle_year, i.meta.mode AS meta_mode, i.meta.version AS meta_version,
  i.meta.deliveryId AS meta_delivery_id, epoch_ms(i.meta.deliveredAt) AS meta_delivered_at,
  i.meta.webhookId AS meta_webhook_id, i.meta.webhookName AS meta_webhook_name,
  i.meta.signalCount AS meta_signal_count, i.triggers::VARCHAR AS triggers`;

/** The wide table: fixed columns from the event, then every signal column with its type. */
export function wideSql(table: string, columns: readonly { col: string; type: string }[]): string {
  const signalColumns = columns.map((c) => `${cast(c.col, c.type)} AS ${quote(c.col)}`).join(',\n  ');
  return `CREATE TABLE ${table} AS SELECT
${FIXED_COLUMNS_SQL}${signalColumns ? `,\n  ${signalColumns}` : ''}
FROM ev LEFT JOIN wide w ON w.event_id = i.event_id`;
}
