import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeNdjson } from '../../src/core/ndjson/ndjson.js';
import { reconciles } from '../../src/process/ProcessSummary.js';
import { event, insert, pipeline } from '../support/pipeline.js';

const KEY = 'raw/telemetry/2025/11/25/20/a-damaged.ndjson.gz';

/** A gzip object of `n` events, the first one bringing a new signal column. */
function object(n: number): Buffer {
  const first = insert(
    event('e0000', 1, { signals: [{ group: 'Only', name: 'InDamaged', body: '{"value":"x"}' }] }),
    1,
  );
  const rest = Array.from({ length: n - 1 }, (_, i) =>
    insert(event(`e${String(i + 1).padStart(4, '0')}`, i % 100), i + 2),
  );
  return gzipSync(encodeNdjson([first, ...rest]));
}

/** How many whole lines a decoder gets out of `bytes` before it stops (the reference for "before the damage"). */
function wholeLinesBefore(bytes: Buffer): number {
  const text = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  return text.split('\n').length - 1;
}

describe('readObjectInto: a raw object damaged halfway', () => {
  it('a cut-off object loads every record before the cut and quarantines the rest whole, with reason and offset', async () => {
    // Prepare
    const p = await pipeline();
    const whole = object(3000);
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    await p.store.put(KEY, cut);
    await p.capture([insert(event('ok', 7), 9000)]);
    const before = wholeLinesBefore(cut);

    // Act
    const s = await p.process();

    // Assess
    expect(before).toBeGreaterThan(100);
    expect(s).toMatchObject({ objectsQuarantined: 0, objects: 2, inserted: before + 1, quarantined: 1 });
    expect(reconciles(s)).toBe(true);
    expect(await p.rows('SELECT count(*)::INT AS n FROM telemetry.car_telemetry_flattened')).toEqual([
      { n: before + 1 },
    ]);
    expect(s.columnsAdded.map((c) => c.name)).toContain('Only_InDamaged');
    const [entryKey, ...more] = await p.keys('quarantine/');
    expect(more).toEqual([]);
    const [entry] = await p.ndjson(entryKey as string);
    expect(entry.reason).toMatch(
      /^damaged raw object: the rest of the object, from byte \d+, is unreadable \(.+\)$/,
    );
    expect(entry.source).toEqual({ object: KEY, line: before + 1, byteOffset: expect.any(Number) });
    expect(Buffer.from(entry.record.bytes, 'base64')).toEqual(cut.subarray(entry.source.byteOffset));
    expect(await p.keys('raw/')).toEqual([]);
    expect(await p.keys('archive/')).toContain(KEY.replace('raw/', 'archive/'));
  });

  it('an object corrupted in the middle loads what decodes before the damage; reading stops there', async () => {
    // Prepare
    const p = await pipeline();
    const corrupt = Buffer.from(object(3000));
    corrupt.fill(0x55, Math.floor(corrupt.length / 2), Math.floor(corrupt.length / 2) + 64);
    await p.store.put(KEY, corrupt);

    // Act
    const s = await p.process();

    // Assess: deflate may turn some damaged bytes into garbage lines before it notices (quarantined as lines)
    expect(reconciles(s)).toBe(true);
    expect(s.objectsQuarantined).toBe(0);
    expect(s.inserted).toBeGreaterThan(100);
    const damage = Object.entries(s.quarantinedByReason).filter(([r]) => r.startsWith('damaged raw object'));
    expect(damage.map(([, n]) => n)).toEqual([1]);
  });

  it('a re-run after a crash writes the damage entry once, at the same key', async () => {
    // Prepare
    const p = await pipeline();
    const whole = object(500);
    await p.store.put(KEY, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const crash = new Error('crash');

    // Act: crash after quarantine was written, before the load; then run again
    await expect(
      p.process({
        checkpoint: (step) => {
          if (step === 'after-quarantine') throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const first = await p.keys('quarantine/');
    const s = await p.process();

    // Assess
    expect(first).toHaveLength(1);
    expect(await p.keys('quarantine/')).toEqual(first);
    expect(s.quarantined).toBe(1);
    expect(reconciles(s)).toBe(true);
  });
});
