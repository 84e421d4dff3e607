#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/ by `npm run build` (run automatically by `npm ci` via `prepare`).
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
await import(entry);
