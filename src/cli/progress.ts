/** Where progress goes: stderr, so stdout stays clean for pipes. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** What is being counted, e.g. 'processing'. */
  readonly label: string;
  /** Unit of the count, e.g. 'records' (default 'items'). */
  readonly unit?: string;
  /** Off a TTY, one line at most this often (default 5 s): CI logs of long runs show life without flooding. */
  readonly logEveryMs?: number;
  /** Injected in tests; Date.now by default. */
  readonly now?: () => number;
  /**
   * Calls `tick` every `ms` until the returned stop function is called (injected in tests; default an unref'd
   * setInterval). It keeps the line coming while no count arrives (a long load, a rate-limited scan).
   */
  readonly every?: (ms: number, tick: () => void) => () => void;
}

function interval(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

export interface Progress {
  /** Reports the count so far and, when known, the total. Cheap: call it as often as you like. */
  update(done: number, total?: number): void;
  /** Clears the TTY line, or writes the last count off a TTY when a line was ever written. */
  done(): void;
}

const BAR_WIDTH = 24;

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The text of one progress report: count, rate and, with a total, percentage and ETA. */
export function progressText(
  label: string,
  unit: string,
  done: number,
  total: number | undefined,
  elapsedMs: number,
  bar: boolean,
): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const rateText = `${Math.round(rate)} ${unit}/s`;
  if (total === undefined || total <= 0) return `${label}: ${done} ${unit}, ${rateText}`;
  const share = Math.min(1, done / total);
  const eta = rate > 0 && done < total ? `, ETA ${duration((total - done) / rate)}` : '';
  const filled = Math.round(share * BAR_WIDTH);
  const barText = bar ? `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` : '';
  return `${label}: ${barText}${done}/${total} ${unit} (${Math.floor(share * 100)}%), ${rateText}${eta}`;
}

/**
 * A progress reporter for long commands. On a TTY: one line redrawn in place (a bar with total and ETA when the
 * total is known). Off a TTY: a plain line every few seconds with counts, rate and (with a total) ETA, also while
 * no count arrives, so a CI log of a long run or backfill shows it is alive (and a falling rate shows a stall).
 *
 * @example
 * const progress = progressReporter(io.stderr, { label: 'processing', unit: 'records' });
 * progress.update(n, total); ... progress.done();
 */
export function progressReporter(stream: ProgressStream, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const unit = options.unit ?? 'items';
  const tty = stream.isTTY === true;
  const every = tty ? 100 : (options.logEveryMs ?? 5000);
  const started = now();
  let last = started;
  let shown = false;
  let latest: { done: number; total: number | undefined } | undefined;
  const text = (d: number, t: number | undefined) =>
    progressText(options.label, unit, d, t, now() - started, tty);
  const show = () => {
    const t = now();
    if (!latest || t - last < every) return;
    last = t;
    shown = true;
    stream.write(tty ? `\r\x1b[K${text(latest.done, latest.total)}` : `${text(latest.done, latest.total)}\n`);
  };
  let stop: (() => void) | undefined;
  return {
    update(done, total) {
      latest = { done, total };
      stop ??= (options.every ?? interval)(every, show);
      show();
    },
    done() {
      stop?.();
      stop = () => undefined;
      if (!shown) return;
      if (tty) stream.write('\r\x1b[K');
      else if (latest) stream.write(`${text(latest.done, latest.total)} (done)\n`);
    },
  };
}
