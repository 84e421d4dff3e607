import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every `.ndjson.gz` file under `dir`, sorted, with the total compressed size. */
export function listRawFiles(dir: string): { files: string[]; bytes: number } {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ndjson.gz')) files.push(full);
    }
  };
  walk(dir);
  files.sort();
  return { files, bytes: files.reduce((n, f) => n + statSync(f).size, 0) };
}
