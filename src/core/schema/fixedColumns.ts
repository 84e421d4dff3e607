import type { ColumnType } from './ColumnType.js';

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
}

/** Columns every row has, in table order. `event_id` is the key. */
export const FIXED_COLUMNS: readonly ColumnDef[] = [
  { name: 'event_id', type: 'VARCHAR' },
  { name: 'event_type', type: 'VARCHAR' },
  { name: 'recorded_at', type: 'TIMESTAMP' },
  { name: 'record_type', type: 'VARCHAR' },
  { name: 'smartcar_user_id', type: 'VARCHAR' },
  { name: 'car_timezone', type: 'VARCHAR' },
  { name: 'vehicle_id', type: 'VARCHAR' },
  { name: 'vehicle_make', type: 'VARCHAR' },
  { name: 'vehicle_model', type: 'VARCHAR' },
  { name: 'vehicle_year', type: 'BIGINT' },
  { name: 'meta_mode', type: 'VARCHAR' },
  { name: 'meta_version', type: 'VARCHAR' },
  { name: 'meta_delivery_id', type: 'VARCHAR' },
  { name: 'meta_delivered_at', type: 'TIMESTAMP' },
  { name: 'meta_webhook_id', type: 'VARCHAR' },
  { name: 'meta_webhook_name', type: 'VARCHAR' },
  { name: 'meta_signal_count', type: 'BIGINT' },
  { name: 'triggers', type: 'VARCHAR' },
  { name: 'signal_errors', type: 'VARCHAR' },
  { name: 'vehicle_errors', type: 'VARCHAR' },
  { name: '_rescued_data', type: 'VARCHAR' },
  { name: 'pipeline_processed_at', type: 'TIMESTAMP' },
  { name: 'pipeline_source_file', type: 'VARCHAR' },
  { name: 'pipeline_sequence_number', type: 'VARCHAR' },
  { name: 'pipeline_content_hash', type: 'VARCHAR' },
];

export const FIXED_COLUMN_NAMES: ReadonlySet<string> = new Set(FIXED_COLUMNS.map((c) => c.name));

/** Pipeline bookkeeping columns: excluded from the content hash, so a replay with a newer sequence is "unchanged". */
export const PIPELINE_COLUMNS: ReadonlySet<string> = new Set([
  'pipeline_processed_at',
  'pipeline_source_file',
  'pipeline_sequence_number',
  'pipeline_content_hash',
]);
