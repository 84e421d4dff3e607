// The dependency rule of docs/architecture.md, checked on every import under src/ (npm run lint runs it).
// Folders ("parts") and what each may import; a handler file (*Handler.ts, captureHandler.ts ...) is a composition
// root and may also choose adapters and read config. Exit 1 with one line per broken arrow.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** part -> parts it may import (itself is always allowed). */
export const RULES = {
  core: [],
  ports: ['core'],
  config: ['core'],
  stage: ['core', 'ports'],
  adapters: ['core', 'ports'],
  sample: ['core'],
  dev: ['core', 'ports', 'stage', 'adapters', 'config', 'compose', 'sample', 'handler'],
  /** `telemetry dev` is the one command that drives the local emulator. */
  devCommand: ['core', 'ports', 'stage', 'adapters', 'config', 'compose', 'sample', 'handler', 'cli', 'dev'],
  /** Composition helpers shared by the CLI and the Lambda handlers: configuration in, adapters out. */
  compose: ['core', 'ports', 'adapters', 'config'],
  handler: ['core', 'ports', 'stage', 'adapters', 'config', 'compose'],
  cli: ['core', 'ports', 'stage', 'adapters', 'config', 'compose', 'sample', 'handler', 'devCommand'],
};
const STAGES = new Set(['capture', 'process', 'load', 'backfill', 'replay', 'status', 'quarantine']);
/** Node modules that do I/O or read the environment: never in the pure core. */
const IMPURE = /^node:(fs|fs\/promises|child_process|net|http|https|dns|os|worker_threads|readline|process)$/;

/** Which part a file under src/ belongs to. */
export function partOf(fileFromSrc) {
  const [top, ...rest] = fileFromSrc.split(sep);
  const name = rest.at(-1) ?? '';
  if ((STAGES.has(top) || top === 'adapters') && /Handler\.ts$/.test(name)) return 'handler';
  if (STAGES.has(top)) return 'stage';
  if (top === 'cli' && name === 'devCommand.ts') return 'devCommand';
  return top in RULES ? top : 'cli';
}

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/** Static and dynamic imports, re-exports and `import type` alike: a type-only arrow is still an arrow. */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every broken arrow in the tree under srcDir, as "file: imports target (part -> part)". */
export function checkDependencies(srcDir) {
  const root = resolve(srcDir);
  const problems = [];
  for (const file of tsFiles(root)) {
    const from = relative(root, file);
    const fromPart = partOf(from);
    const text = readFileSync(file, 'utf8');
    if (fromPart === 'core' || fromPart === 'adapters') {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/\bprocess\.env\b/.test(code))
        problems.push(`${from}: reads process.env (${fromPart} takes plain values)`);
    }
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      if (fromPart === 'core' && IMPURE.test(spec))
        problems.push(`${from}: imports ${spec} (core does no I/O)`);
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec));
      if (target.startsWith('..')) continue;
      const toPart = partOf(target.replace(/\.js$/, '.ts'));
      if (
        toPart === fromPart ||
        RULES[fromPart].includes(toPart) ||
        (fromPart === 'devCommand' && toPart === 'cli')
      )
        continue;
      problems.push(`${from}: imports ${spec} (${fromPart} -> ${toPart})`);
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? 'src';
  const problems = checkDependencies(dir);
  for (const p of problems) console.error(`dependency rule: ${p}`);
  if (problems.length > 0) {
    console.error(`${problems.length} import(s) break the dependency rule (docs/architecture.md)`);
    process.exit(1);
  }
  console.log(`dependency rule: ${dir} clean`);
}
