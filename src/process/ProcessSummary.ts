import type { ColumnDef } from '../core/schema/fixedColumns.js';

/**
 * What a process run did. Counts reconcile:
 * `records = inserted + updated + unchanged + deleted + staged + skipped + quarantined`.
 */
export interface ProcessSummary {
  objects: number;
  /** Objects found already loaded (a crash after the load, before archiving): archived without loading again. */
  objectsRecovered: number;
  /**
   * Objects unreadable from their first byte (e.g. not gzip): moved to quarantine whole. One damaged halfway loads
   * the records before the damage and counts its rest as one quarantined record instead.
   */
  objectsQuarantined: number;
  batches: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Records staged for a later load (Databricks `job` mode): their outcome is decided by the load job. */
  staged: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  quarantined: number;
  quarantinedByReason: Record<string, number>;
  columnsAdded: ColumnDef[];
  /** True when the run stopped early (deadline) with objects still pending. */
  stoppedEarly: boolean;
  /** Set when another run held the single-writer lease: this run did nothing. */
  leaseHeldBy?: string;
}

export function emptyProcessSummary(): ProcessSummary {
  return {
    objects: 0,
    objectsRecovered: 0,
    objectsQuarantined: 0,
    batches: 0,
    records: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    staged: 0,
    skipped: 0,
    skippedByReason: {},
    quarantined: 0,
    quarantinedByReason: {},
    columnsAdded: [],
    stoppedEarly: false,
  };
}

export function reconciles(s: ProcessSummary): boolean {
  return (
    s.records === s.inserted + s.updated + s.unchanged + s.deleted + s.staged + s.skipped + s.quarantined
  );
}
