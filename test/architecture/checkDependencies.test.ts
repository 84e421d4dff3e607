import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script (run by `npm run lint`), no type declarations
import { checkDependencies } from '../../scripts/checkDependencies.mjs';

const check = checkDependencies as (srcDir: string) => string[];
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A throwaway src/ tree: path -> file text. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'deps-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the dependency rule (docs/architecture.md), checked by npm run lint', () => {
  it('holds for the whole of src/', () => {
    expect(check('src')).toEqual([]);
  });

  it.each([
    ['core imports a stage', 'core/a.ts', "import { x } from '../process/p.js';", 'core -> stage'],
    ['core does I/O', 'core/a.ts', "import { readFileSync } from 'node:fs';", 'core does no I/O'],
    ['core reads the environment', 'core/a.ts', 'export const a = process.env.X;', 'reads process.env'],
    [
      'an adapter imports a stage',
      'adapters/x/X.ts',
      "import type { P } from '../../load/p.js';",
      'adapters -> stage',
    ],
    [
      'an adapter reads config',
      'adapters/x/X.ts',
      "import { c } from '../../config/c.js';",
      'adapters -> config',
    ],
    [
      'a stage chooses an adapter',
      'process/q.ts',
      "import { X } from '../adapters/x/X.js';",
      'stage -> adapters',
    ],
    ['the CLI imports the emulator', 'cli/runCommand.ts', "import { d } from '../dev/d.js';", 'cli -> dev'],
  ])('fails when %s', (_name, path, line, expected) => {
    // Prepare
    const root = tree({
      [path]: `${line}\n`,
      'process/p.ts': '',
      'load/p.ts': '',
      'config/c.ts': '',
      'dev/d.ts': '',
    });

    // Act
    const problems = check(root);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('lets composition roots choose adapters: handlers, the CLI, and the dev command the emulator', () => {
    // Prepare
    const root = tree({
      'process/processHandler.ts': "import { X } from '../adapters/x/X.js';\nconst e = process.env.A;",
      'cli/runCommand.ts': "import { X } from '../adapters/x/X.js';",
      'cli/devCommand.ts': "import { d } from '../dev/d.js';",
      'adapters/x/X.ts':
        "import type { Port } from '../../ports/Port.js';\n// process.env is read by the caller",
      'dev/d.ts': '',
      'ports/Port.ts': '',
    });

    // Act + Assess
    expect(check(root)).toEqual([]);
  });
});
