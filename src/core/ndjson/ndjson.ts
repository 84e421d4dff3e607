/** NDJSON: one JSON value per line. Encoding is pure; decoding of streams lives with the stores that stream. */
export function encodeNdjson(values: Iterable<unknown>): string {
  let out = '';
  for (const v of values) out += `${JSON.stringify(v)}\n`;
  return out;
}

/** Parses one line; returns `{ok: false}` instead of throwing so the caller can quarantine the line. */
export function parseLine(line: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
