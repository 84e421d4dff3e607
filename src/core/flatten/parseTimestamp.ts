const SQL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/**
 * Epoch milliseconds from the shapes timestamps arrive in: epoch ms numbers, `YYYY-MM-DD HH:MM:SS` (the table's
 * recorded_at, UTC) or ISO 8601. Returns undefined when the value is not a timestamp.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const sql = SQL_TIMESTAMP.exec(value);
  if (sql) {
    const [, y, mo, d, h, mi, s, frac] = sql;
    const ms = frac ? Math.round(Number(frac) * 1000) : 0;
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
    return Number.isNaN(t) ? undefined : t;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
