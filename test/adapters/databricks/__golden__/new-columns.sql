ALTER TABLE `main`.`telemetry`.`car_telemetry_flattened` ADD COLUMNS (`Location_PreciseLocation_latitude` DOUBLE);

-- :rows_path = "s3://bucket/staged/batch_id=b0123456789abcdef/part-*.parquet"
SELECT
  (SELECT count_if(t.`event_id` IS NULL AND (d.`event_id` IS NULL OR NOT (d.`sequence_number` >= s.`pipeline_sequence_number`)))
     FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schema => '`event_id` STRING, `event_type` STRING, `recorded_at` TIMESTAMP, `record_type` STRING, `smartcar_user_id` STRING, `car_timezone` STRING, `vehicle_id` STRING, `vehicle_make` STRING, `vehicle_model` STRING, `vehicle_year` BIGINT, `meta_mode` STRING, `meta_version` STRING, `meta_delivery_id` STRING, `meta_delivered_at` TIMESTAMP, `meta_webhook_id` STRING, `meta_webhook_name` STRING, `meta_signal_count` BIGINT, `triggers` STRING, `signal_errors` STRING, `vehicle_errors` STRING, `_rescued_data` STRING, `pipeline_processed_at` TIMESTAMP, `pipeline_source_file` STRING, `pipeline_sequence_number` STRING, `pipeline_content_hash` STRING, `Charge_IsCharging` BOOLEAN, `Location_PreciseLocation_latitude` DOUBLE', schemaEvolutionMode => 'none')) AS s
     LEFT JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`
     LEFT JOIN `main`.`telemetry`.`_telemetry_deleted_events` AS d ON d.`event_id` = s.`event_id`) AS inserted,
  (SELECT count_if(s.`pipeline_sequence_number` >= t.`pipeline_sequence_number` AND s.`pipeline_content_hash` IS DISTINCT FROM t.`pipeline_content_hash`) FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schema => '`event_id` STRING, `event_type` STRING, `recorded_at` TIMESTAMP, `record_type` STRING, `smartcar_user_id` STRING, `car_timezone` STRING, `vehicle_id` STRING, `vehicle_make` STRING, `vehicle_model` STRING, `vehicle_year` BIGINT, `meta_mode` STRING, `meta_version` STRING, `meta_delivery_id` STRING, `meta_delivered_at` TIMESTAMP, `meta_webhook_id` STRING, `meta_webhook_name` STRING, `meta_signal_count` BIGINT, `triggers` STRING, `signal_errors` STRING, `vehicle_errors` STRING, `_rescued_data` STRING, `pipeline_processed_at` TIMESTAMP, `pipeline_source_file` STRING, `pipeline_sequence_number` STRING, `pipeline_content_hash` STRING, `Charge_IsCharging` BOOLEAN, `Location_PreciseLocation_latitude` DOUBLE', schemaEvolutionMode => 'none')) AS s JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`) AS updated,
  (SELECT count_if(s.`pipeline_sequence_number` < t.`pipeline_sequence_number`) FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schema => '`event_id` STRING, `event_type` STRING, `recorded_at` TIMESTAMP, `record_type` STRING, `smartcar_user_id` STRING, `car_timezone` STRING, `vehicle_id` STRING, `vehicle_make` STRING, `vehicle_model` STRING, `vehicle_year` BIGINT, `meta_mode` STRING, `meta_version` STRING, `meta_delivery_id` STRING, `meta_delivered_at` TIMESTAMP, `meta_webhook_id` STRING, `meta_webhook_name` STRING, `meta_signal_count` BIGINT, `triggers` STRING, `signal_errors` STRING, `vehicle_errors` STRING, `_rescued_data` STRING, `pipeline_processed_at` TIMESTAMP, `pipeline_source_file` STRING, `pipeline_sequence_number` STRING, `pipeline_content_hash` STRING, `Charge_IsCharging` BOOLEAN, `Location_PreciseLocation_latitude` DOUBLE', schemaEvolutionMode => 'none')) AS s JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`) AS older,
  (SELECT count_if(t.`event_id` IS NULL)
     FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schema => '`event_id` STRING, `event_type` STRING, `recorded_at` TIMESTAMP, `record_type` STRING, `smartcar_user_id` STRING, `car_timezone` STRING, `vehicle_id` STRING, `vehicle_make` STRING, `vehicle_model` STRING, `vehicle_year` BIGINT, `meta_mode` STRING, `meta_version` STRING, `meta_delivery_id` STRING, `meta_delivered_at` TIMESTAMP, `meta_webhook_id` STRING, `meta_webhook_name` STRING, `meta_signal_count` BIGINT, `triggers` STRING, `signal_errors` STRING, `vehicle_errors` STRING, `_rescued_data` STRING, `pipeline_processed_at` TIMESTAMP, `pipeline_source_file` STRING, `pipeline_sequence_number` STRING, `pipeline_content_hash` STRING, `Charge_IsCharging` BOOLEAN, `Location_PreciseLocation_latitude` DOUBLE', schemaEvolutionMode => 'none')) AS s
     JOIN `main`.`telemetry`.`_telemetry_deleted_events` AS d ON d.`event_id` = s.`event_id` AND d.`sequence_number` >= s.`pipeline_sequence_number`
     LEFT JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = s.`event_id`) AS removed_before,
  (SELECT count(*) FROM (SELECT CAST(NULL AS STRING) AS `event_id`, CAST(NULL AS STRING) AS `sequence_number` WHERE 1 = 0) AS r JOIN `main`.`telemetry`.`car_telemetry_flattened` AS t ON t.`event_id` = r.`event_id` WHERE r.`sequence_number` > t.`pipeline_sequence_number`) AS deleted;

-- :rows_path = "s3://bucket/staged/batch_id=b0123456789abcdef/part-*.parquet"
MERGE INTO `main`.`telemetry`.`car_telemetry_flattened` AS t
USING (SELECT * FROM (SELECT * FROM read_files(:rows_path, format => 'parquet', schema => '`event_id` STRING, `event_type` STRING, `recorded_at` TIMESTAMP, `record_type` STRING, `smartcar_user_id` STRING, `car_timezone` STRING, `vehicle_id` STRING, `vehicle_make` STRING, `vehicle_model` STRING, `vehicle_year` BIGINT, `meta_mode` STRING, `meta_version` STRING, `meta_delivery_id` STRING, `meta_delivered_at` TIMESTAMP, `meta_webhook_id` STRING, `meta_webhook_name` STRING, `meta_signal_count` BIGINT, `triggers` STRING, `signal_errors` STRING, `vehicle_errors` STRING, `_rescued_data` STRING, `pipeline_processed_at` TIMESTAMP, `pipeline_source_file` STRING, `pipeline_sequence_number` STRING, `pipeline_content_hash` STRING, `Charge_IsCharging` BOOLEAN, `Location_PreciseLocation_latitude` DOUBLE', schemaEvolutionMode => 'none')) AS s0 WHERE NOT EXISTS (SELECT 1 FROM `main`.`telemetry`.`_telemetry_deleted_events` AS d WHERE d.`event_id` = s0.`event_id` AND d.`sequence_number` >= s0.`pipeline_sequence_number`)) AS s
ON t.`event_id` = s.`event_id`
WHEN MATCHED AND s.`pipeline_sequence_number` >= t.`pipeline_sequence_number` AND s.`pipeline_content_hash` IS DISTINCT FROM t.`pipeline_content_hash` THEN UPDATE SET
  `event_type` = s.`event_type`,
  `recorded_at` = s.`recorded_at`,
  `record_type` = s.`record_type`,
  `smartcar_user_id` = s.`smartcar_user_id`,
  `car_timezone` = s.`car_timezone`,
  `vehicle_id` = s.`vehicle_id`,
  `vehicle_make` = s.`vehicle_make`,
  `vehicle_model` = s.`vehicle_model`,
  `vehicle_year` = s.`vehicle_year`,
  `meta_mode` = s.`meta_mode`,
  `meta_version` = s.`meta_version`,
  `meta_delivery_id` = s.`meta_delivery_id`,
  `meta_delivered_at` = s.`meta_delivered_at`,
  `meta_webhook_id` = s.`meta_webhook_id`,
  `meta_webhook_name` = s.`meta_webhook_name`,
  `meta_signal_count` = s.`meta_signal_count`,
  `triggers` = s.`triggers`,
  `signal_errors` = s.`signal_errors`,
  `vehicle_errors` = s.`vehicle_errors`,
  `_rescued_data` = s.`_rescued_data`,
  `pipeline_processed_at` = s.`pipeline_processed_at`,
  `pipeline_source_file` = s.`pipeline_source_file`,
  `pipeline_sequence_number` = s.`pipeline_sequence_number`,
  `pipeline_content_hash` = s.`pipeline_content_hash`,
  `Charge_IsCharging` = s.`Charge_IsCharging`,
  `TractionBattery_StateOfCharge_value` = NULL,
  `Location_PreciseLocation_latitude` = s.`Location_PreciseLocation_latitude`
WHEN NOT MATCHED THEN INSERT (`event_id`, `event_type`, `recorded_at`, `record_type`, `smartcar_user_id`, `car_timezone`, `vehicle_id`, `vehicle_make`, `vehicle_model`, `vehicle_year`, `meta_mode`, `meta_version`, `meta_delivery_id`, `meta_delivered_at`, `meta_webhook_id`, `meta_webhook_name`, `meta_signal_count`, `triggers`, `signal_errors`, `vehicle_errors`, `_rescued_data`, `pipeline_processed_at`, `pipeline_source_file`, `pipeline_sequence_number`, `pipeline_content_hash`, `Charge_IsCharging`, `Location_PreciseLocation_latitude`)
  VALUES (s.`event_id`, s.`event_type`, s.`recorded_at`, s.`record_type`, s.`smartcar_user_id`, s.`car_timezone`, s.`vehicle_id`, s.`vehicle_make`, s.`vehicle_model`, s.`vehicle_year`, s.`meta_mode`, s.`meta_version`, s.`meta_delivery_id`, s.`meta_delivered_at`, s.`meta_webhook_id`, s.`meta_webhook_name`, s.`meta_signal_count`, s.`triggers`, s.`signal_errors`, s.`vehicle_errors`, s.`_rescued_data`, s.`pipeline_processed_at`, s.`pipeline_source_file`, s.`pipeline_sequence_number`, s.`pipeline_content_hash`, s.`Charge_IsCharging`, s.`Location_PreciseLocation_latitude`);

-- :batch_id = "b0123456789abcdef"
-- :f0 = "telemetry/2025/11/25/20/a.ndjson.gz"
-- :f1 = "telemetry/2025/11/25/20/b.ndjson.gz"
INSERT INTO `main`.`telemetry`.`_telemetry_load_ledger` (`batch_id`, `file`, `loaded_at`)
SELECT :batch_id, v.f, now() FROM (VALUES (:f0), (:f1)) AS v(f)
WHERE NOT EXISTS (SELECT 1 FROM `main`.`telemetry`.`_telemetry_load_ledger` AS l WHERE l.`file` = v.f);
