import type { ObjectStore } from '../ports/ObjectStore.js';
import type { QuarantineLine } from './quarantineEntry.js';

const REASON = '.reason.json';
const RECORDS = 'records/';

/**
 * One quarantine entry as an operator sees it: a record (one object per record, see quarantineEntryKey) or a
 * whole raw object that could not be read (kept beside its `.reason.json`).
 */
export interface QuarantineEntry {
  /** A record's hash, or an object's key below the quarantine prefix: what `quarantine show` takes. */
  readonly id: string;
  readonly kind: 'record' | 'object';
  /** The entry's object (for an unreadable object: the object itself, not its `.reason.json`). */
  readonly key: string;
  readonly reason: string;
  /** Where it came from: the raw object and line (1-based; 0 for a whole object), and the input file if any. */
  readonly source: QuarantineLine['source'];
  /** When it was quarantined (epoch ms): the entry's write time. */
  readonly at: number;
  /** The record as quarantined (records only). */
  readonly record?: unknown;
}

function parseEntry(text: string): Partial<QuarantineLine> {
  const first = text.split('\n', 1)[0] ?? '';
  try {
    const value = JSON.parse(first) as unknown;
    return typeof value === 'object' && value !== null ? (value as Partial<QuarantineLine>) : {};
  } catch {
    return {};
  }
}

async function readEntry(
  store: ObjectStore,
  prefix: string,
  key: string,
  at: number,
): Promise<QuarantineEntry> {
  const text = Buffer.from(await store.get(key)).toString('utf8');
  const parsed = parseEntry(text);
  if (key.endsWith(REASON)) {
    const object = key.slice(0, -REASON.length);
    const meta = parsed as { object?: unknown; reason?: unknown };
    return {
      id: object.slice(prefix.length),
      kind: 'object',
      key: object,
      reason: `unreadable object: ${typeof meta.reason === 'string' ? meta.reason : 'no reason given'}`,
      source: { object: typeof meta.object === 'string' ? meta.object : object, line: 0 },
      at,
    };
  }
  const name = key.slice(key.lastIndexOf('/') + 1);
  return {
    id: name.replace(/\.ndjson$/, ''),
    kind: 'record',
    key,
    reason: typeof parsed.reason === 'string' ? parsed.reason : 'entry without a reason',
    source: parsed.source ?? { object: key, line: 0 },
    at,
    record: 'record' in parsed ? parsed.record : text,
  };
}

/**
 * Every quarantine entry under `prefix`, in key order: the record entries, then the unreadable objects (one entry
 * each, described by their `.reason.json`). Reads one entry at a time.
 *
 * @example
 * for await (const e of quarantineEntries(store, 'quarantine/telemetry/')) console.log(e.id, e.reason);
 */
export async function* quarantineEntries(
  store: ObjectStore,
  prefix: string,
): AsyncGenerator<QuarantineEntry> {
  const objects = new Map<string, number>();
  for await (const o of store.list(prefix)) {
    if (o.key.startsWith(prefix + RECORDS)) yield await readEntry(store, prefix, o.key, o.lastModified);
    else objects.set(o.key, o.lastModified);
  }
  for (const [key, at] of objects) {
    if (key.endsWith(REASON)) yield await readEntry(store, prefix, key, at);
    // A crash between keeping an object and writing its reason: still an entry (telemetry status counts it too).
    else if (!objects.has(key + REASON)) {
      yield {
        id: key.slice(prefix.length),
        kind: 'object',
        key,
        reason: 'unreadable object: no reason recorded',
        source: { object: key, line: 0 },
        at,
      };
    }
  }
}

/**
 * The entry with this id: a record's hash (or a unique start of it, at least 6 characters, as git takes), or an
 * unreadable object's key below the prefix. `undefined` when none matches; an error when several do.
 */
export async function findQuarantineEntry(
  store: ObjectStore,
  prefix: string,
  id: string,
): Promise<QuarantineEntry | undefined> {
  const reason = await store.head(`${prefix}${id}${REASON}`);
  if (reason) return readEntry(store, prefix, `${prefix}${id}${REASON}`, reason.lastModified);
  if (!/^[0-9a-f]{6,32}$/.test(id)) return undefined;
  const matches: { key: string; at: number }[] = [];
  for await (const o of store.list(`${prefix}${RECORDS}${id.slice(0, 2)}/${id}`)) {
    matches.push({ key: o.key, at: o.lastModified });
  }
  if (matches.length > 1)
    throw new Error(`quarantine id '${id}' is ambiguous: ${matches.length} entries start with it`);
  const match = matches[0];
  return match ? readEntry(store, prefix, match.key, match.at) : undefined;
}

/** The record as it arrived, as text: the input line when known, else the raw record's JSON. */
export function originalText(entry: QuarantineEntry): string | undefined {
  const r = entry.record;
  if (r === undefined) return undefined;
  if (typeof r === 'string') return r;
  const raw = r as { originalText?: unknown; rawText?: unknown };
  if (typeof raw.originalText === 'string') return raw.originalText;
  if (typeof raw.rawText === 'string') return raw.rawText;
  return JSON.stringify(r);
}
