const SQL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
const ISO_PREFIX = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;

/** Whether the calendar date and time of day exist: no rolling 2025-02-30 over into March, or 25:61 into tomorrow. */
function isRealDateTime(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 59;
}

/**
 * Epoch milliseconds from the shapes timestamps arrive in: epoch ms numbers, `YYYY-MM-DD HH:MM:SS` (the table's
 * recorded_at, UTC) or ISO 8601. Returns undefined when the value is not a timestamp, or names a date or time that
 * does not exist (the caller rescues its text).
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const sql = SQL_TIMESTAMP.exec(value);
  if (sql) {
    const [y, mo, d, h, mi, s] = sql.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (!isRealDateTime(y, mo, d, h, mi, s)) return undefined;
    const frac = sql[7];
    const ms = frac ? Math.round(Number(frac) * 1000) : 0;
    const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    return Number.isNaN(t) ? undefined : t;
  }
  const iso = ISO_PREFIX.exec(value);
  if (!iso) return undefined;
  const [y, mo, d, h, mi, s] = iso.slice(1, 7).map((p) => Number(p ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!isRealDateTime(y, mo, d, h, mi, s)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
