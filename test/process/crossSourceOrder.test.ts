import { describe, expect, it } from 'vitest';
import { snapshotOrderKey, streamOrderKey } from '../../src/core/model/orderKey.js';
import type { RawRecord } from '../../src/core/model/RawRecord.js';
import { event, insert, pipeline, remove } from '../support/pipeline.js';

/** A version of an event from a snapshot source (backfill scan/export, file input) at snapshot time `t`. */
function snapshot(item: Record<string, unknown>, t: number, position: number): RawRecord {
  return { ...insert(item, 0), sequenceNumber: snapshotOrderKey('scan', t, position) };
}

const T = Date.UTC(2026, 11, 2, 12);

describe('one ordering rule across sources (order keys through process + DuckDB)', () => {
  it('a snapshot never replaces a stream version nor resurrects a stream delete; a stream version replaces it', async () => {
    // Prepare: the stream (small DynamoDB Local style sequence numbers) wrote a, b, then deleted b
    const p = await pipeline();
    await p.capture([insert(event('a', 70), 1), insert(event('b', 10), 2), remove('b', 3)]);
    await p.process();
    // Act: a later backfill holds older content for a, the deleted b, and c that the stream never carried
    await p.capture(
      [snapshot(event('a', 50), T, 1), snapshot(event('b', 10), T, 2), snapshot(event('c', 5), T, 3)],
      'backfill',
    );
    const backfill = await p.process();
    await p.capture([insert(event('c', 6), 4)]);
    const stream = await p.process();
    // Assess
    expect(backfill).toMatchObject({ inserted: 1, updated: 0, deleted: 0 });
    expect(stream).toMatchObject({ updated: 1 });
    expect(await p.rows()).toEqual([
      { event_id: 'a', soc: 70 },
      { event_id: 'c', soc: 6 },
    ]);
  });

  it('ends the same whichever of backfill and stream is loaded first, and a second backfill changes nothing', async () => {
    // Prepare
    const backfill = [snapshot(event('a', 1), T, 1), snapshot(event('b', 2), T, 2)];
    const stream = [insert(event('a', 9), 7), remove('b', 8)];
    const first = await pipeline();
    const second = await pipeline();
    // Act
    await first.capture(backfill, 'backfill');
    await first.process();
    await first.capture(stream);
    await first.process();
    await second.capture(stream);
    await second.process();
    await second.capture(backfill, 'backfill');
    await second.process();
    await second.capture(backfill, 'backfill-again');
    const again = await second.process();
    // Assess
    expect(await first.rows()).toEqual([{ event_id: 'a', soc: 9 }]);
    expect(await second.rows()).toEqual(await first.rows());
    expect(again).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
  });

  it('keeps rows of an existing table (40-digit stream keys) ahead of any snapshot, without a reload', async () => {
    // Prepare: a key as written before order keys had sources
    const p = await pipeline();
    const legacy = '0000000000000000000000000000000000000123';
    await p.capture([{ ...insert(event('a', 80), 0), sequenceNumber: legacy }]);
    await p.process();
    // Act
    await p.capture([snapshot(event('a', 20), T, 1)], 'backfill');
    await p.process();
    await p.capture([{ ...insert(event('a', 81), 0), sequenceNumber: streamOrderKey('124') }]);
    await p.process();
    // Assess
    expect(await p.rows()).toEqual([{ event_id: 'a', soc: 81 }]);
  });
});
