import { gunzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { gzipNdjson } from '../../src/capture/captureBatch.js';
import { unmarshallImage } from '../../src/capture/fromStreamRecord.js';

describe('unmarshalling stream images', () => {
  it('keeps DynamoDB numbers exact: beyond a double they stay their exact text', () => {
    const image = { big: { N: '12345678901234567890' }, tiny: { N: '1e-400' }, soc: { N: '42.5' } };

    const plain = unmarshallImage(image);

    expect(plain).toEqual({ big: '12345678901234567890', tiny: '1e-400', soc: 42.5 });
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
