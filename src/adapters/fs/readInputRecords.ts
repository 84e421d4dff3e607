import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { errorMessage } from '../../core/errors.js';
import { parseJsonChecked } from '../../core/ndjson/parseJson.js';

/**
 * One record of an input file: parsed JSON (with the text as it arrived; for a line, `plain` says whether plain
 * JSON.parse of it gives the same value, see parseJsonChecked: such a line can be passed on as it is), the text of a
 * line that is not
 * JSON, or the damage that ended the file early (the rest of the file, from `byteOffset` on, could not be read).
 */
export interface InputRecord {
  readonly file: string;
  readonly position: number;
  readonly parsed:
    | { ok: true; value: unknown; text?: string; plain?: boolean }
    | { ok: false; text: string }
    | { ok: false; damaged: { reason: string; byteOffset: number } };
}

const SUFFIXES = ['.json', '.ndjson', '.jsonl', '.ndjson.gz', '.jsonl.gz', '.json.gz'];

export function isInputFile(path: string): boolean {
  return SUFFIXES.some((s) => path.endsWith(s));
}

/** `--input -`: NDJSON read from standard input (a pipe, a redirected file). */
export const STDIN = '-';

/**
 * Expands files and folders (recursively, sorted) into input files; a missing path is a clear error. `-` stands for
 * standard input; a named pipe (FIFO) is read like a file, once.
 */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === STDIN) {
      out.push(STDIN);
      continue;
    }
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

const BOM = '\uFEFF';

/** One JSON text; `line`: one line of NDJSON (a whole file's text may span lines: never `plain`). */
function parse(text: string, line: boolean): InputRecord['parsed'] {
  try {
    const { value, plain } = parseJsonChecked(text);
    return { ok: true, value, text, plain: line && plain };
  } catch {
    return { ok: false, text };
  }
}

/** Whether {@link readInputRecords} streams this file's lines (NDJSON, gzip or not) rather than reading it whole. */
export function readLineByLine(file: string): boolean {
  return (
    file === STDIN ||
    /\.(ndjson|jsonl)(\.gz)?$/.test(file) ||
    (file.endsWith('.gz') && !file.endsWith('.json.gz'))
  );
}

/**
 * Streams the records of one input file. NDJSON (optionally gzip) is read line by line, so memory stays bounded;
 * a `.json` file holds one event or an array of events (read whole: such files are small by nature) unless the
 * caller knows it is NDJSON (`ndjson: true`, e.g. a DynamoDB export's `data/*.json.gz` part).
 */
export async function* readInputRecords(
  file: string,
  options: { readonly ndjson?: boolean } = {},
): AsyncGenerator<InputRecord> {
  const ndjson = options.ndjson === true || readLineByLine(file);
  let input: NodeJS.ReadableStream;
  /** How far into the file's own bytes reading got (for a damage record). */
  let offset: () => number;
  if (ndjson) {
    const stream: NodeJS.ReadableStream & { bytesRead?: number; destroy(error?: Error): void } =
      file === STDIN ? process.stdin : createReadStream(file);
    const gunzip = file.endsWith('.gz') ? createGunzip() : undefined;
    input = gunzip ? stream.pipe(gunzip) : stream;
    stream.on('error', (e: Error) => (gunzip ?? stream).destroy(e));
    offset = () => (gunzip ? gunzip.bytesWritten : (stream.bytesRead ?? 0));
  } else {
    let raw: string;
    try {
      raw = file.endsWith('.gz')
        ? gunzipSync(await readFile(file)).toString('utf8')
        : await readFile(file, 'utf8');
    } catch (error) {
      yield {
        file,
        position: 1,
        parsed: { ok: false, damaged: { reason: errorMessage(error), byteOffset: 0 } },
      };
      return;
    }
    if (raw.startsWith(BOM)) raw = raw.slice(1); // JSON allows a parser to ignore it
    const parsed = parse(raw, false);
    if (parsed.ok && Array.isArray(parsed.value)) {
      let i = 0;
      for (const value of parsed.value) yield { file, position: ++i, parsed: { ok: true, value } };
      return;
    }
    if (parsed.ok || !raw.includes('\n')) {
      yield { file, position: 1, parsed };
      return;
    }
    // A .json file that holds NDJSON is common enough: read its lines from the text already read (a named pipe
    // cannot be read twice).
    input = Readable.from([raw]);
    offset = () => 0;
  }
  let line = 0;
  try {
    for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      line += 1;
      const clean = line === 1 && text.startsWith(BOM) ? text.slice(1) : text;
      if (clean.trim() === '') continue;
      yield { file, position: line, parsed: parse(clean, true) };
    }
  } catch (error) {
    // Damaged (corrupt or cut-off gzip, unreadable file): the lines before the damage were yielded; the rest of
    // the file is one record, so the run goes on with the other inputs. The offset is in the file's own bytes.
    const byteOffset = offset();
    yield {
      file,
      position: line + 1,
      parsed: { ok: false, damaged: { reason: errorMessage(error), byteOffset } },
    };
  }
}
