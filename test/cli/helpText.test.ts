import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI_DIR = join(import.meta.dirname, '..', '..', 'src', 'cli');

/** The options a command parses (its parseArgs specs) and the flags its help texts name. */
function optionsAndHelp(file: string): { options: string[]; flags: string[] } {
  const text = readFileSync(join(CLI_DIR, file), 'utf8');
  const options = [...text.matchAll(/'?([a-z][a-z-]*)'?: \{ type: '(?:string|boolean)'/g)].map(
    (m) => m[1] ?? '',
  );
  const help = [...text.matchAll(/const HELP\w* = `([\s\S]*?)`;/g)].map((m) => m[1]).join('\n');
  const flags = [...help.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1] ?? '');
  const uniq = (xs: string[]) => [...new Set(xs.filter((x) => x !== 'help'))].sort();
  return { options: uniq(options), flags: uniq(flags) };
}

describe('help texts and option specs cannot drift apart', () => {
  const commands = readdirSync(CLI_DIR).filter((f) => f.endsWith('Command.ts'));

  it.each(commands)('%s: every option is in its help, every flag in its help is an option', (file) => {
    // Act
    const { options, flags } = optionsAndHelp(file);

    // Assess
    expect(options.length).toBeGreaterThan(0);
    expect(flags).toEqual(options);
  });
});
