import { gunzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { captureBatch, RawObjectWriter } from '../../src/capture/captureBatch.js';
import { unmarshallImage } from '../../src/capture/unmarshallImage.js';

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

  it('RawObjectWriter writes one line per record, whatever the chunking', async () => {
    // Prepare
    // ~15 MB: more chunks than the writer keeps, so it waits for zlib to hand them back; one line above a chunk
    const lines = Array.from({ length: 20_000 }, (_, i) => ({
      eventName: 'INSERT' as const,
      sequenceNumber: String(i),
      approximateCreationTime: 1000 - i,
      text: JSON.stringify({ i, text: 'é'.repeat(i === 7 ? 600_000 : i % 700) }),
    }));
    const writer = new RawObjectWriter();

    // Act
    for (const line of lines) await writer.add(line);
    const text = gunzipSync(await writer.body()).toString('utf8');

    // Assess
    expect(text).toBe(lines.map((l) => `${l.text}\n`).join(''));
    expect([
      writer.records,
      writer.oldest,
      writer.first?.sequenceNumber,
      writer.last?.sequenceNumber,
    ]).toEqual([20_000, -18_999, '0', '19999']);
    expect(gunzipSync(await new RawObjectWriter().body()).toString('utf8')).toBe('');
  });

  it('no records: no object and no key', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    const result = await captureBatch([], store, { rawPrefix: 'raw/', source: 's' });

    // Assess
    expect(result).toBeUndefined();
    for await (const o of store.list('')) expect.unreachable(o.key);
  });
});
