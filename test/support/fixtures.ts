import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Real webhook captures and a stored item, kept in the repository (test/fixtures/README.md says where from). */
export const FIXTURES_DIR = resolve(import.meta.dirname, '..', 'fixtures');

export function readFixture(relative: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, relative), 'utf8'));
}

/** Every fixture file, as paths relative to the fixtures folder. */
export function allFixtures(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(FIXTURES_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = entry.name;
    for (const f of readdirSync(join(FIXTURES_DIR, dir))) if (f.endsWith('.json')) out.push(`${dir}/${f}`);
  }
  return out.sort();
}
