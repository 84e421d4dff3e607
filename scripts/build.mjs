// Bundles the CLI into dist/ (dependencies stay external: DuckDB is a native addon).
import { build } from 'esbuild';

await build({
  // The worker threads are entries of their own: FlattenPool and captureInThread start them from dist/.
  entryPoints: {
    cli: 'src/cli/main.ts',
    flattenWorker: 'src/process/flattenWorker.ts',
    captureWorker: 'src/cli/captureWorker.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
