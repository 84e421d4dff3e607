import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** One record of an input file: parsed JSON, or the text of a line that is not JSON. */
export interface InputRecord {
  readonly file: string;
  readonly position: number;
  readonly parsed: { ok: true; value: unknown } | { ok: false; text: string };
}

const SUFFIXES = ['.json', '.ndjson', '.jsonl', '.ndjson.gz', '.jsonl.gz', '.json.gz'];

export function isInputFile(path: string): boolean {
  return SUFFIXES.some((s) => path.endsWith(s));
}

/** Expands files and folders (recursively, sorted) into input files; a missing path is a clear error. */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(full);
    } catch {
      throw new Error(`input not found: ${p}`);
    }
    if (s.isDirectory()) {
      const entries = (await readdir(full, { recursive: true })).map(String).sort();
      for (const e of entries) {
        const f = join(full, e);
        if (isInputFile(f) && (await stat(f)).isFile()) out.push(f);
      }
    } else {
      out.push(full);
    }
  }
  return out;
}

function parse(text: string): InputRecord['parsed'] {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, text };
  }
}

/**
 * Streams the records of one input file. NDJSON (optionally gzip) is read line by line, so memory stays bounded;
 * a `.json` file holds one event or an array of events (read whole: such files are small by nature).
 */
export async function* readInputRecords(file: string): AsyncGenerator<InputRecord> {
  const ndjson =
    /\.(ndjson|jsonl)(\.gz)?$/.test(file) || (file.endsWith('.gz') && !file.endsWith('.json.gz'));
  if (!ndjson) {
    const raw = file.endsWith('.gz')
      ? (await import('node:zlib')).gunzipSync(await readFile(file)).toString('utf8')
      : await readFile(file, 'utf8');
    const parsed = parse(raw);
    if (parsed.ok && Array.isArray(parsed.value)) {
      let i = 0;
      for (const value of parsed.value) yield { file, position: ++i, parsed: { ok: true, value } };
      return;
    }
    // A .json file that holds NDJSON is common enough: fall back to lines when the whole is not JSON.
    if (parsed.ok || !raw.includes('\n')) {
      yield { file, position: 1, parsed };
      return;
    }
  }
  const stream = createReadStream(file);
  const input = file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  stream.on('error', (e) => input.destroy(e));
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line += 1;
    if (text.trim() === '') continue;
    yield { file, position: line, parsed: parse(text) };
  }
}
