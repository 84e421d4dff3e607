/**
 * JSON that never rounds a number. `JSON.parse` turns every number into a double: 2^53 + 1, a 39-digit id or
 * `1e400` come out changed (or as 0 / Infinity). Numbers a double holds exactly stay numbers; any other becomes
 * the string of its exact original text, the same convention as DynamoDB `N` values (see {@link exactNumber}).
 * The common path stays `JSON.parse`: only text that a cheap scan finds a long digit run or a 3-digit exponent in
 * is read again exactly.
 */

/** Up to 15 significant decimal digits always survive a round trip through a double. */
const SAFE_DIGITS = 15;

/** The smallest normal double: below it (subnormals) a double keeps fewer digits. */
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A number token (after `:`, `[`, `,` or white space, as JSON numbers stand) of 16+ digits, with a positive
 * exponent of 2+ digits (`5.74e+91` is an integer past 2^53) or a negative one of 3+ digits: it may not fit a double. Anchoring on the delimiter keeps the scan fast (most positions fail at once).
 */
const MAY_BE_INEXACT =
  /(?:^|[:,[\s])(-?\d[\d.]{15,}(?:[eE][-+]?\d+)?|-?\d[\d.]*[eE](?:\+?\d{2,}|-\d{3,}))(?=$|[,\]}\s])/g;

/**
 * Whether `text` may hold a number a double cannot keep exactly. Candidates (most are doubles printed with 17
 * digits, which are exact) are checked one by one; false positives (such text inside a string) only cost an exact
 * re-read.
 */
export function mayHoldInexactNumber(text: string): boolean {
  MAY_BE_INEXACT.lastIndex = 0;
  for (let m = MAY_BE_INEXACT.exec(text); m !== null; m = MAY_BE_INEXACT.exec(text)) {
    if (typeof exactNumber(m[1] as string) === 'string') return true;
  }
  return false;
}

function significantDigits(mantissa: string): number {
  return mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
}

/**
 * A decimal number's text as a double when the double is exactly that number's value for all practical purposes
 * (an integer within 2^53, or at most 15 significant digits within the double's range); otherwise the text itself.
 */
export function exactNumber(text: string): number | string {
  const n = Number(text);
  // The common case without counting digits: 15 characters hold at most 15 digits, so a normal double within 2^53
  // is exact. (`typeof`: DynamoDB JSON from outside may carry a non-string `N`; it takes the full path below.)
  if (typeof text === 'string' && text.length <= SAFE_DIGITS) {
    const size = Math.abs(n);
    if (size <= Number.MAX_SAFE_INTEGER && size >= MIN_NORMAL) return n;
  }
  if (!Number.isFinite(n)) return text; // 1e400: out of range
  const unsigned = text.replace(/^[-+]/, '');
  const e = unsigned.search(/[eE]/);
  const mantissa = e < 0 ? unsigned : unsigned.slice(0, e);
  const digits = significantDigits(mantissa);
  if (n === 0) return digits === 0 ? n : text; // 1e-400: underflow to 0
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return text; // 2^53 + 1, a 39-digit id
  // Past 15 digits (or among subnormals, which keep fewer): a number only if the double prints back as written.
  if (digits > SAFE_DIGITS || Math.abs(n) < MIN_NORMAL) return String(n) === text ? n : text;
  return n;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

/** Rewrites every number token that {@link exactNumber} keeps as text into a JSON string, then parses. */
function parseExactly(text: string): unknown {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i += 1;
      while (i < text.length) {
        const s = text.charCodeAt(i);
        if (s === 92 /* \ */) i += 2;
        else if (s === 34) break;
        else i += 1;
      }
      i += 1;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) {
        i += 1;
        continue;
      }
      const token = m[0];
      if (typeof exactNumber(token) === 'string') {
        out += `${text.slice(copied, i)}"${token}"`;
        copied = i + token.length;
      }
      i += token.length;
    } else {
      i += 1;
    }
  }
  return JSON.parse(copied === 0 ? text : out + text.slice(copied));
}

/**
 * Parses JSON like `JSON.parse` (and throws like it), except that no number is ever rounded.
 *
 * @example
 * parseJson('{"id": 123456789012345678901234567890123456789, "soc": 0.5}');
 * // {id: '123456789012345678901234567890123456789', soc: 0.5}
 */
export function parseJson(text: string): unknown {
  return mayHoldInexactNumber(text) ? parseExactly(text) : JSON.parse(text);
}

/**
 * {@link parseJson}, also saying whether `JSON.parse(text)` gives the same value (`plain`: no number needed its
 * text kept), so a caller can pass the text on to a reader that uses plain JSON.parse.
 */
export function parseJsonChecked(text: string): { readonly value: unknown; readonly plain: boolean } {
  const plain = !mayHoldInexactNumber(text);
  return { value: plain ? JSON.parse(text) : parseExactly(text), plain };
}
