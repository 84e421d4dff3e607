import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared beside the project (read-only reference material and real webhook captures). */
export const SHARED_DIR = resolve(process.cwd(), '..', 'shared');
export const FIXTURES_DIR = join(SHARED_DIR, 'fixtures');

export function readFixture(relative: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, relative), 'utf8'));
}

/** Every fixture file, as paths relative to the fixtures folder. */
export function allFixtures(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(FIXTURES_DIR)) {
    for (const f of readdirSync(join(FIXTURES_DIR, dir))) if (f.endsWith('.json')) out.push(`${dir}/${f}`);
  }
  return out.sort();
}
