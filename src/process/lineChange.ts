import { asRawRecord, type Change, toChange } from '../core/model/Change.js';
import type { RawRecord } from '../core/model/RawRecord.js';
import { parseLine } from '../core/ndjson/ndjson.js';
import { type QuarantineLine, quarantineEntryKey } from './quarantineEntry.js';

/** What one raw line of an object asks for: a change to the batch, a skip with its reason, or quarantine. */
export type LineChange =
  | { readonly kind: 'change'; readonly change: Extract<Change, { kind: 'upsert' | 'delete' }> }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'quarantine'; readonly key: string; readonly entry: QuarantineLine };

/**
 * The one reading of a raw line (line numbers from 1), shared by in-thread and worker flattening: never throws; a
 * line that is not a raw stream record, or a record that cannot become a change, is a quarantine entry.
 */
export function lineChange(
  line: string,
  lineNo: number,
  object: string,
  quarantinePrefix: string,
): LineChange {
  const parsed = parseLine(line);
  const raw: RawRecord | undefined = parsed.ok ? asRawRecord(parsed.value) : undefined;
  const change: Change = raw ? toChange(raw) : { kind: 'quarantine', reason: 'not a raw stream record' };
  if (change.kind === 'upsert' || change.kind === 'delete') return { kind: 'change', change };
  if (change.kind === 'skip') return { kind: 'skip', reason: change.reason };
  const entry: QuarantineLine = {
    reason: change.reason,
    source: { object, line: lineNo, ...raw?.source },
    record: raw?.originalText ?? raw?.rawText ?? raw ?? line,
  };
  return { kind: 'quarantine', key: quarantineEntryKey(quarantinePrefix, raw, entry), entry };
}
