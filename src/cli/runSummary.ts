import type { ExportCaptureSummary } from '../backfill/captureExport.js';
import type { ProcessSummary } from '../process/ProcessSummary.js';
import { formatExportLine } from './captureExports.js';
import { alreadyLoaded } from './countRecaptured.js';

export interface RunSummary {
  readonly dataDir: string;
  readonly table: string;
  readonly input: {
    readonly files: number;
    readonly records: number;
    readonly sample: boolean;
    /** DynamoDB export folders read through their manifests. */
    readonly exports: readonly ExportCaptureSummary[];
  };
  readonly capture: { readonly objects: number; readonly bytes: number };
  readonly process: ProcessSummary;
  /** Of `process.objectsRecovered`: the same input captured again (the rest: left by an interrupted run). */
  readonly recaptured: number;
  /** Where quarantined records and unreadable objects are (one entry each, with its reason). */
  readonly quarantine: string;
  readonly reconciled: boolean;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

function reasons(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([r, n]) => `\n      ${String(n).padStart(7)}  ${r}`)
    .join('');
}

/** An instant as the CLI prints it everywhere: ISO 8601 in UTC with Z, whole seconds unless there are ms. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function quarantinedAny(p: ProcessSummary): boolean {
  return p.quarantined > 0 || p.objectsQuarantined > 0;
}

/** The human summary of `telemetry run`: counts that reconcile, new columns, time and throughput. */
export function formatRunSummary(s: RunSummary): string {
  const p = s.process;
  const cols = p.columnsAdded.length;
  const shown = p.columnsAdded.slice(0, 12).map((c) => `${c.name} ${c.type}`);
  const what = [
    ...(s.input.files ? [`${s.input.files} input file(s)`] : []),
    ...(s.input.exports.length ? [`${s.input.exports.length} DynamoDB export(s)`] : []),
  ];
  return [
    `telemetry run: ${s.input.sample ? 'sample events' : what.join(' + ')} -> ${s.table}`,
    `  input       ${s.input.records} records -> ${s.capture.objects} raw object(s), ${(s.capture.bytes / 1024).toFixed(1)} KiB gzip`,
    ...s.input.exports.map((e) => `              ${formatExportLine(e)}`),
    `  processed   ${p.records} records from ${p.objects} object(s)${p.objectsRecovered ? ` (+${alreadyLoaded(p.objectsRecovered, s.recaptured)})` : ''}`,
    `  inserted    ${p.inserted}`,
    `  updated     ${p.updated}`,
    `  unchanged   ${p.unchanged}`,
    `  deleted     ${p.deleted}`,
    ...(p.staged ? [`  staged      ${p.staged} (loaded later by the Databricks job)`] : []),
    `  skipped     ${p.skipped}${reasons(p.skippedByReason)}`,
    `  quarantined ${p.quarantined}${reasons(p.quarantinedByReason)}${p.objectsQuarantined ? `\n  unreadable objects quarantined: ${p.objectsQuarantined}` : ''}${quarantinedAny(p) ? `\n      in ${s.quarantine}` : ''}`,
    `  reconciled  ${s.reconciled ? 'yes' : 'NO'} (records = inserted + updated + unchanged + deleted${p.staged ? ' + staged' : ''} + skipped + quarantined)`,
    `  columns     ${cols} added${cols ? `: ${shown.join(', ')}${cols > shown.length ? `, ... (+${cols - shown.length})` : ''}` : ''}`,
    `  time        ${s.seconds.toFixed(2)} s, ${s.eventsPerSecond} events/s`,
    `  data        ${s.dataDir}`,
    '',
  ].join('\n');
}
