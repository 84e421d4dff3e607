import type { RawRecord } from './RawRecord.js';

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY/MM/DD/HH/` of an epoch-ms instant, in UTC. */
export function hourPartition(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${pad2(d.getUTCHours())}/`;
}

/**
 * The key of the raw object for a batch of stream records: deterministic in the source label and the first and last
 * sequence numbers, so a retried identical batch overwrites the same object instead of adding a duplicate.
 * The hour is that of the first record's approximate creation time.
 */
export function rawObjectKey(
  prefix: string,
  source: string,
  records: readonly Pick<RawRecord, 'sequenceNumber' | 'approximateCreationTime'>[],
): string {
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) throw new Error('rawObjectKey needs at least one record');
  const label = source.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${prefix}${hourPartition(first.approximateCreationTime)}${label}-${first.sequenceNumber}-${last.sequenceNumber}.ndjson.gz`;
}
