#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/ by `npm run build` (run automatically by `npm ci` via `prepare`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Our one line about an old Node instead of the AWS SDK's multi-line NodeVersionSupportWarning.
const major = Number.parseInt(process.versions.node, 10);
if (major < 22) {
  process.stderr.write(
    `telemetry: Node ${process.version} is older than the supported Node >=22; please upgrade (some dependencies stop working on it)\n`,
  );
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
const entry = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('telemetry: dist/cli.js is missing; run `npm run build` first\n');
  process.exit(2);
}

// V8 heap cap (docs/performance.md): uncapped, V8 lets the garbage of finished batches reach ~700 MB before it
// collects; a young generation of 8 MB semi-spaces (V8 sizes it larger) took ~100 MB off peak RSS at no CPU cost.
// A cap already given (NODE_OPTIONS or node flags) wins; otherwise the CLI re-runs itself with these.
const HEAP_FLAGS = ['--max-old-space-size=384', '--max-semi-space-size=8'];
// glibc's malloc gives each thread that allocates (DuckDB's, libuv's, workers) its own arena and keeps what is freed
// there: over 1,000,000 events peak RSS crept up 565 MB; with two arenas 514 MB (bench/results/memory-1000000.md).
// Read by glibc when the process starts, hence set for the re-run; a value already set wins.
const MALLOC_ENV = { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
const capped = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) =>
  a.startsWith('--max-old-space-size'),
);
if (capped) {
  await import(entry);
} else {
  const child = spawn(
    process.execPath,
    [...HEAP_FLAGS, ...process.execArgv, entry, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, ...MALLOC_ENV },
    },
  );
  // Ctrl-C reaches the whole process group, so the child has it already; other signals are passed on.
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
