#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/ by `npm run build` (run automatically by `npm ci` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('telemetry: dist/cli.js is missing; run `npm run build` first\n');
  process.exit(2);
}
await import(entry);
