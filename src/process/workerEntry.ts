import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a worker thread's code is, for a module at `beside` (its `import.meta.url`): `<name>.js` next to it when
 * bundled (dist/, the bench's build), else the TypeScript source `<name>.ts` next to it, through tsx (tests).
 */
export function workerEntry(
  name: string,
  beside: string,
): { readonly url: URL; readonly execArgv: string[] } {
  const bundled = new URL(`./${name}.js`, beside);
  if (existsSync(fileURLToPath(bundled))) return { url: bundled, execArgv: [] };
  return { url: new URL(`./${name}.ts`, beside), execArgv: ['--import', 'tsx'] };
}
