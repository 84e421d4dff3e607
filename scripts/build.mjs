// Bundles the CLI into dist/ (dependencies stay external: DuckDB is a native addon).
import { build } from 'esbuild';

await build({
  // The flattening worker is its own entry: FlattenPool starts it from dist/flattenWorker.js.
  entryPoints: { cli: 'src/cli/main.ts', flattenWorker: 'src/process/flattenWorker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
