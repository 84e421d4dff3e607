import { gunzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gzipNdjson } from '../../src/capture/captureBatch.js';
import { preciseNumber, unmarshallImage } from '../../src/capture/fromStreamRecord.js';

/** The rule as first written (no fast path): the optimised preciseNumber must agree with it on every input. */
function referencePreciseNumber(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  if (/^-?\d+$/.test(text)) return Number.isSafeInteger(n) ? n : text;
  const mantissa = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length <= 15 ? n : text;
}

const decimal = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.stringMatching(/^[0-9]{1,22}$/),
    fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
    fc.option(fc.integer({ min: -400, max: 400 }), { nil: undefined }),
  )
  .map(
    ([sign, int, frac, exp]) => `${sign}${int}${frac ? `.${frac}` : ''}${exp === undefined ? '' : `e${exp}`}`,
  );

describe('unmarshalling stream images', () => {
  it('preciseNumber keeps every number exact, as the original rule did (fast path included)', () => {
    fc.assert(
      fc.property(fc.oneof(decimal, fc.string({ maxLength: 20 })), (text) => {
        expect(preciseNumber(text)).toEqual(referencePreciseNumber(text));
      }),
      { numRuns: 5000 },
    );
    expect(preciseNumber('12345678901234567890')).toBe('12345678901234567890');
    expect(preciseNumber('0.1234567890123456789')).toBe('0.1234567890123456789');
    expect(preciseNumber('42.5')).toBe(42.5);
  });

  it('sets become arrays and binary becomes base64, at any depth; everything else is kept as is', () => {
    const image = marshall({
      id: 'x',
      tags: new Set(['a', 'b']),
      nums: new Set([1, 2]),
      blob: new Uint8Array([1, 2, 3]),
      nested: { list: [{ bins: new Set([new Uint8Array([255])]) }, null, 'text', 7] },
    });
    expect(unmarshallImage(image)).toEqual({
      id: 'x',
      tags: ['a', 'b'],
      nums: [1, 2],
      blob: 'AQID',
      nested: { list: [{ bins: ['/w=='] }, null, 'text', 7] },
    });
  });

  it('gzipNdjson writes one JSON line per record, whatever the chunking', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ i, text: 'é'.repeat(i % 700) }));
    const text = gunzipSync(await gzipNdjson(records)).toString('utf8');
    expect(text).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    expect(gunzipSync(await gzipNdjson([])).toString('utf8')).toBe('');
  });
});
