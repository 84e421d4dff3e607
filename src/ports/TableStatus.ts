/** The table's side of `telemetry status`. Times are epoch ms. */
export interface TableStatus {
  readonly name: string;
  readonly rows: number;
  readonly columns: number;
  readonly loadedObjects: number;
  readonly lastLoadAt?: number;
  /** The last committed load: its batch id and how many raw objects it loaded. */
  readonly lastBatch?: { readonly id: string; readonly objects: number };
  /** The newest `recorded_at` in the table. */
  readonly newestRecordedAt?: number;
  /** Events by `vehicle_make` (`(unknown)` without one) recorded in the 24 hours before the status was taken. */
  readonly eventsPerMake24h: Readonly<Record<string, number>>;
}

/** How far back `eventsPerMake24h` looks. */
export const DAY_MS = 24 * 60 * 60 * 1000;
