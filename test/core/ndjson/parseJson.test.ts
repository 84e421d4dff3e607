import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactNumber, parseJson, parseJsonChecked } from '../../../src/core/ndjson/parseJson.js';

/** A decimal's value as text: sign, significant digits, exponent (so `1.50e2` and `150` compare equal). */
function decimalValue(text: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const [, sign, int = '', frac = '', exp = '0'] = m;
  let digits = (int + frac).replace(/^0+/, '');
  if (digits === '') return '0';
  let e = BigInt(exp) - BigInt(frac.length);
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    e += 1n;
  }
  return `${sign}${digits}e${e}`;
}

const decimal = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.stringMatching(/^(0|[1-9][0-9]{0,40})$/),
    fc.option(fc.stringMatching(/^[0-9]{1,20}$/), { nil: undefined }),
    fc.option(fc.integer({ min: -420, max: 420 }), { nil: undefined }),
  )
  .map(
    ([sign, int, frac, exp]) => `${sign}${int}${frac ? `.${frac}` : ''}${exp === undefined ? '' : `e${exp}`}`,
  );

describe('exact numbers', () => {
  it('a number stays a double only when the double has exactly the value written; otherwise its exact text', () => {
    fc.assert(
      fc.property(decimal, (text) => {
        const kept = exactNumber(text);
        if (typeof kept === 'string') expect(kept).toBe(text);
        else if (Number.isInteger(kept)) expect(Number.isSafeInteger(kept)).toBe(true);
        if (typeof kept === 'number' && kept !== 0)
          expect(decimalValue(String(kept))).toBe(decimalValue(text));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['9007199254740993', '9007199254740993'],
    ['123456789012345678901234567890123456789', '123456789012345678901234567890123456789'],
    ['1e400', '1e400'],
    ['1e-400', '1e-400'],
    ['-5.7426666336912e+91', '-5.7426666336912e+91'],
    ['0.123456789012345678901234567890123456', '0.123456789012345678901234567890123456'],
    ['42.5', 42.5],
    ['0.30000000000000004', 0.30000000000000004],
  ])('%s is kept as %j', (text, expected) => {
    expect(exactNumber(text)).toBe(expected);
  });

  it('parseJson rounds nothing, leaves strings alone, and agrees with JSON.parse wherever a double is exact', () => {
    const text =
      '{"id":123456789012345678901234567890123456789,"s":"1e400 \\" 9007199254740993","v":[1e400,0.5,-7]}';

    const parsed = parseJson(text);

    expect(parsed).toEqual({
      id: '123456789012345678901234567890123456789',
      s: '1e400 " 9007199254740993',
      v: ['1e400', 0.5, -7],
    });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        // Integers past 2^53 (1e+300 too: not 10^300 exactly) are the one intended difference.
        const exact = (_k: string, v: unknown) =>
          typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) ? String(v) : v;
        expect(parseJson(json)).toEqual(JSON.parse(json, exact));
      }),
      { numRuns: 300 },
    );
    expect(parseJson('[-5.7426666336912e+91, 1e20, 1.5e-10]')).toEqual([
      '-5.7426666336912e+91',
      '1e20',
      1.5e-10,
    ]);
    expect(() => parseJson('{"a": 1e400')).toThrow(SyntaxError);
  });

  it('parseJsonChecked says when plain JSON.parse gives the same value (nothing kept as text)', () => {
    expect(parseJsonChecked('{"a":[1.5,-7,"9007199254740993"]}')).toEqual({
      value: { a: [1.5, -7, '9007199254740993'] },
      plain: true,
    });
    expect(parseJsonChecked('{"a":9007199254740993}')).toEqual({
      value: { a: '9007199254740993' },
      plain: false,
    });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        const checked = parseJsonChecked(json);
        expect(checked.value).toEqual(parseJson(json));
        if (checked.plain) expect(checked.value).toEqual(JSON.parse(json));
      }),
      { numRuns: 300 },
    );
  });
});
