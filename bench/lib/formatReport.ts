import type { MachineInfo } from './machineInfo.js';

export interface BenchRow {
  readonly id: string;
  readonly step: string;
  readonly implementation: string;
  readonly cores: string;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Uncompressed raw NDJSON input per second. */
  readonly mbPerSecond: number;
  readonly peakRssMb: number;
  readonly rows?: number;
  readonly checksum?: string;
  readonly columns?: number;
  /** 'same rows', 'MISMATCH' or '' where a step produces no rows. */
  readonly check: string;
  readonly vsDuckDb?: number;
  readonly vsPython?: number;
  readonly notes: string;
}

export interface BenchResults {
  readonly date: string;
  readonly events: number;
  readonly rawObjects: number;
  readonly rawGzMb: number;
  readonly rawMb: number;
  readonly machine: MachineInfo;
  readonly rows: readonly BenchRow[];
  readonly targets: readonly { readonly target: string; readonly measured: string; readonly met: boolean }[];
  readonly allSame: boolean;
}

function num(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '' : `${n.toFixed(2)}x`;
}

/** The results as a markdown document (the same table is printed to the terminal). */
export function formatMarkdown(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    `# Benchmark: ${num(r.events)} events`,
    '',
    `${r.date} on ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM, ${m.os}; Node ${m.node}, Python ${m.python}, ${m.duckdb}; 1-minute load average at the end ${m.loadAverage} (the bench alone keeps it near ${m.cores}; more means the CPU was shared).`,
    `Input: ${num(r.rawObjects)} raw gzip NDJSON objects, ${num(r.rawGzMb, 1)} MB compressed, ${num(r.rawMb, 1)} MB of NDJSON.`,
    '',
    '| step | implementation | cores | seconds | events/s | MB/s | peak RSS MB | rows | check | vs strong DuckDB | vs Python |',
    '|---|---|---|--:|--:|--:|--:|--:|---|--:|--:|',
    ...r.rows.map(
      (x) =>
        `| ${x.step} | ${x.implementation} | ${x.cores} | ${num(x.seconds, 2)} | ${num(x.eventsPerSecond)} | ${num(x.mbPerSecond, 1)} | ${num(x.peakRssMb)} | ${num(x.rows)} | ${x.check} | ${ratio(x.vsDuckDb)} | ${ratio(x.vsPython)} |`,
    ),
    '',
    'Notes:',
    ...r.rows.filter((x) => x.notes !== '').map((x) => `- ${x.implementation}: ${x.notes}`),
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...r.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`),
    '',
    r.allSame
      ? 'Every implementation produced the same rows (row count and checksum over the sample columns).'
      : 'WARNING: implementations disagree on rows or checksum (see the check column).',
    '',
  ];
  return lines.join('\n');
}
