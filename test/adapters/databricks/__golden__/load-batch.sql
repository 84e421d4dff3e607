CREATE SCHEMA IF NOT EXISTS `main`.`telemetry`;

CREATE TABLE IF NOT EXISTS `main`.`telemetry`.`car_telemetry_flattened` (`event_id` STRING, `event_type` STRING, `recorded_at` TIMESTAMP, `record_type` STRING, `smartcar_user_id` STRING, `car_timezone` STRING, `vehicle_id` STRING, `vehicle_make` STRING, `vehicle_model` STRING, `vehicle_year` BIGINT, `meta_mode` STRING, `meta_version` STRING, `meta_delivery_id` STRING, `meta_delivered_at` TIMESTAMP, `meta_webhook_id` STRING, `meta_webhook_name` STRING, `meta_signal_count` BIGINT, `triggers` STRING, `signal_errors` STRING, `vehicle_errors` STRING, `_rescued_data` STRING, `pipeline_processed_at` TIMESTAMP, `pipeline_source_file` STRING, `pipeline_sequence_number` STRING, `pipeline_content_hash` STRING)
USING DELTA
CLUSTER BY (`vehicle_id`, `recorded_at`)
TBLPROPERTIES ('delta.columnMapping.mode' = 'name', 'delta.enableDeletionVectors' = 'true');

CREATE TABLE IF NOT EXISTS `main`.`telemetry`.`_telemetry_load_ledger` (`batch_id` STRING NOT NULL, `file` STRING NOT NULL, `loaded_at` TIMESTAMP) USING DELTA;

CREATE TABLE IF NOT EXISTS `main`.`telemetry`.`_telemetry_deleted_events` (`event_id` STRING NOT NULL, `sequence_number` STRING NOT NULL) USING DELTA;

CREATE TABLE IF NOT EXISTS `main`.`telemetry`.`_telemetry_load_log` (`batch_id` STRING NOT NULL, `logged_at` TIMESTAMP, `inserted` BIGINT, `updated` BIGINT, `older` BIGINT, `removed_before` BIGINT, `deleted` BIGINT) USING DELTA;

-- :batch_id = "b0123456789abcdef"
-- :manifest_path = "s3://bucket/staged/batch-b0123456789abcdef/manifest.json"
SELECT raise_error(concat('column ', b.name, ' is ', x.type, ' in the table but ', b.type, ' in batch ', :batch_id, ': types never change silently'))
FROM (SELECT c.name, c.type FROM (SELECT explode(m.columns) AS c FROM read_files(:manifest_path, format => 'json', multiLine => true, schema => 'columns ARRAY<STRUCT<name: STRING, type: STRING>>', schemaEvolutionMode => 'none') AS m)) AS b
JOIN (SELECT column_name, CASE upper(data_type) WHEN 'BOOLEAN' THEN 'BOOLEAN' WHEN 'DOUBLE' THEN 'DOUBLE' WHEN 'FLOAT' THEN 'DOUBLE' WHEN 'BIGINT' THEN 'BIGINT' WHEN 'LONG' THEN 'BIGINT' WHEN 'INT' THEN 'BIGINT' WHEN 'INTEGER' THEN 'BIGINT' WHEN 'STRING' THEN 'VARCHAR' WHEN 'VARCHAR' THEN 'VARCHAR' WHEN 'TIMESTAMP' THEN 'TIMESTAMP' WHEN 'TIMESTAMP_LTZ' THEN 'TIMESTAMP' ELSE upper(data_type) END AS type FROM system.information_schema.columns
      WHERE table_catalog = 'main' AND table_schema = 'telemetry' AND table_name = 'car_telemetry_flattened') AS x
  ON lower(x.column_name) = lower(b.name)
WHERE x.type <> b.type;

-- :batch_id = "b0123456789abcdef"
-- :rows_path = "s3://bucket/staged/batch-b0123456789abcdef/part-*.parquet"
-- :deletes_path = "s3://bucket/staged/batch-b0123456789abcdef/deletes-00000.parquet"
MERGE INTO `main`.`telemetry`.`_telemetry_load_log` AS l
USING (SELECT :batch_id AS `batch_id`, now() AS `logged_at`, c.* FROM (SELECT
  (SELECT count_if(t.`event_id` IS NULL AND (d.`event_id` IS NULL OR NOT (d.`sequence_number` >= s.`pipeline_sequence_number`)))
     FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')) AS s
     LEFT JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`
     LEFT JOIN `main`.`telemetry`.`_telemetry_deleted_events` AS d ON d.`event_id` = s.`event_id`) AS inserted,
  (SELECT count_if(s.`pipeline_sequence_number` >= t.`pipeline_sequence_number` AND s.`pipeline_content_hash` IS DISTINCT FROM t.`pipeline_content_hash`) FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')) AS s JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`) AS updated,
  (SELECT count_if(s.`pipeline_sequence_number` < t.`pipeline_sequence_number`) FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')) AS s JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`) AS older,
  (SELECT count_if(t.`event_id` IS NULL)
     FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')) AS s
     JOIN `main`.`telemetry`.`_telemetry_deleted_events` AS d ON d.`event_id` = s.`event_id` AND d.`sequence_number` >= s.`pipeline_sequence_number`
     LEFT JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`) AS removed_before,
  (SELECT count(*) FROM (SELECT * FROM read_files(:deletes_path, format => 'parquet', schema => '`event_id` STRING, `sequence_number` STRING', schemaEvolutionMode => 'none')) AS r JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = r.`event_id` WHERE r.`sequence_number` > t.`pipeline_sequence_number`) AS deleted) AS c) AS n
ON l.`batch_id` = n.`batch_id`
WHEN NOT MATCHED THEN INSERT *;

-- :deletes_path = "s3://bucket/staged/batch-b0123456789abcdef/deletes-00000.parquet"
MERGE INTO `main`.`telemetry`.`car_telemetry_flattened` AS x
USING (SELECT r.`event_id` FROM (SELECT * FROM read_files(:deletes_path, format => 'parquet', schema => '`event_id` STRING, `sequence_number` STRING', schemaEvolutionMode => 'none')) AS r JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = r.`event_id` WHERE r.`sequence_number` > t.`pipeline_sequence_number`) AS k
ON x.`event_id` = k.`event_id`
WHEN MATCHED THEN DELETE;

-- :deletes_path = "s3://bucket/staged/batch-b0123456789abcdef/deletes-00000.parquet"
MERGE INTO `main`.`telemetry`.`_telemetry_deleted_events` AS d
USING (SELECT * FROM read_files(:deletes_path, format => 'parquet', schema => '`event_id` STRING, `sequence_number` STRING', schemaEvolutionMode => 'none')) AS r
ON d.`event_id` = r.`event_id`
WHEN MATCHED AND r.`sequence_number` > d.`sequence_number` THEN UPDATE SET `sequence_number` = r.`sequence_number`
WHEN NOT MATCHED THEN INSERT (`event_id`, `sequence_number`) VALUES (r.`event_id`, r.`sequence_number`);

-- :rows_path = "s3://bucket/staged/batch-b0123456789abcdef/part-*.parquet"
MERGE INTO `main`.`telemetry`.`car_telemetry_flattened` AS x
USING (SELECT s.`event_id` FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')) AS s JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id` WHERE s.`pipeline_sequence_number` >= t.`pipeline_sequence_number` AND s.`pipeline_content_hash` IS DISTINCT FROM t.`pipeline_content_hash`) AS k
ON x.`event_id` = k.`event_id`
WHEN MATCHED THEN DELETE;

-- :rows_path = "s3://bucket/staged/batch-b0123456789abcdef/part-*.parquet"
MERGE WITH SCHEMA EVOLUTION INTO `main`.`telemetry`.`car_telemetry_flattened` AS t
USING (SELECT * FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schemaEvolutionMode => 'none')) AS s0 WHERE NOT EXISTS (SELECT 1 FROM `main`.`telemetry`.`_telemetry_deleted_events` AS d WHERE d.`event_id` = s0.`event_id` AND d.`sequence_number` >= s0.`pipeline_sequence_number`)) AS s
ON t.`event_id` = s.`event_id`
WHEN NOT MATCHED THEN INSERT *;

-- :batch_id = "b0123456789abcdef"
-- :manifest_path = "s3://bucket/staged/batch-b0123456789abcdef/manifest.json"
INSERT INTO `main`.`telemetry`.`_telemetry_load_ledger` (`batch_id`, `file`, `loaded_at`)
SELECT :batch_id, v.`file`, now() FROM (SELECT explode(m.files) AS `file` FROM read_files(:manifest_path, format => 'json', multiLine => true, schema => 'files ARRAY<STRING>', schemaEvolutionMode => 'none') AS m) AS v
WHERE NOT EXISTS (SELECT 1 FROM `main`.`telemetry`.`_telemetry_load_ledger` AS l WHERE l.`file` = v.`file`);
