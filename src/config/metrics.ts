/**
 * The pipeline's CloudWatch metrics: one contract for the handlers that emit them (Powertools EMF) and the CDK
 * app whose alarms and dashboard read them. Powertools adds the dimension `service` = the handler's serviceName.
 */
export const METRICS_NAMESPACE = 'ChargeMinderTelemetry';

export const SERVICE_NAMES = {
  capture: 'telemetry-capture',
  process: 'telemetry-process',
  trigger: 'telemetry-trigger',
} as const;

export const CAPTURE_METRICS = {
  recordsIn: 'RecordsIn',
  bytesWritten: 'BytesWritten',
  objectsWritten: 'ObjectsWritten',
  /** Now minus the oldest record's ApproximateCreationDateTime. */
  iteratorLagMs: 'IteratorLagMs',
  /** Records that could not be converted (written marked, quarantined downstream). */
  recordsRejected: 'RecordsRejected',
} as const;

export const PROCESS_METRICS = {
  recordsIn: 'RecordsIn',
  rowsLoaded: 'RowsLoaded',
  rowsDeleted: 'RowsDeleted',
  quarantined: 'Quarantined',
  objectsProcessed: 'ObjectsProcessed',
  objectsQuarantined: 'ObjectsQuarantined',
  /** Age of the oldest raw object still pending after the run; 0 when none is (emitted on every run). */
  oldestPendingAgeMs: 'OldestPendingAgeMs',
  duration: 'Duration',
  stoppedEarly: 'StoppedEarly',
} as const;

export const TRIGGER_METRICS = {
  runsStarted: 'LoadRunsStarted',
  runStartFailures: 'LoadRunStartFailures',
  /** Failed runs (FAILED, TIMEDOUT, INTERNAL_ERROR) among the load job's last 10 finished runs: a gauge. */
  runFailures: 'LoadRunFailures',
} as const;
