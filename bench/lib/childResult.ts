/** What every measured child process reports on its last stdout line (prefixed with {@link RESULT_PREFIX}). */
export interface ChildResult {
  /** Seconds of measured work (startup, data generation and checks excluded). */
  readonly seconds: number;
  /** Input records read. */
  readonly records: number;
  /** Rows produced (after deduplication); undefined where a step produces no rows. */
  readonly rows?: number;
  /** Peak resident set size of the child, in MiB. */
  readonly peakRssMb: number;
  /** Order-independent checksum over the sample columns (see sampleColumns.ts). */
  readonly checksum?: string;
  /** Number of distinct data columns produced (hashed names excluded). */
  readonly columns?: number;
  readonly extra?: Record<string, unknown>;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function report(result: ChildResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Parses `--name value` pairs of a child's argv. */
export function childArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k?.startsWith('--') && v !== undefined) out[k.slice(2)] = v;
  }
  return out;
}

export function required(args: Record<string, string>, name: string): string {
  const v = args[name];
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}
