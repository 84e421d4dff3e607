import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

/**
 * Runs `telemetry dev` in-process as a user would start it (Ctrl-C is `stop`); `waitFor` resolves when its output
 * matches (no sleeps).
 */
export function startDev(dataDir: string, extra: string[] = []) {
  const controller = new AbortController();
  const stdout = new PassThrough();
  let out = '';
  const waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.filter((x) => x.test(out))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const args = ['dev', '--data-dir', dataDir, '--process-every', '0.2', '--batching-window', '0.1', ...extra];
  const exit = runCli(args, {
    stdout,
    stderr: stdout,
    env: {},
    cwd: process.cwd(),
    signal: controller.signal,
  });
  const waitFor = (test: (s: string) => boolean) =>
    new Promise<void>((resolve) => {
      if (test(out)) resolve();
      else waiters.push({ test, resolve });
    });
  /** Ctrl-C; resolves with the exit code once everything stopped. */
  const stop = () => {
    controller.abort();
    return exit;
  };
  return { exit, waitFor, output: () => out, stop };
}

/** A sum over dev's "processed: ..." lines: records, or how many were inserted, updated or deleted. */
export function processedCount(out: string, what: 'records' | 'inserted' | 'updated' | 'deleted'): number {
  const lines = out.split('\n').filter((l) => l.includes('processed: '));
  return lines.reduce((n, l) => n + Number(l.match(new RegExp(`(\\d+) ${what}`))?.[1] ?? 0), 0);
}
