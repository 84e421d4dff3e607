import { describe, expect, it } from 'vitest';
import { SignalCatalog } from '../../src/core/catalog/SignalCatalog.js';
import { ColumnRegistry } from '../../src/core/schema/ColumnRegistry.js';
import { BatchBuilder } from '../../src/process/BatchBuilder.js';
import { event, insert, pipeline, remove } from '../support/pipeline.js';

function upsert(id: string, seq: number, extra: Record<string, unknown> = {}) {
  const item = event(id, seq, extra) as { event_id: string; signals: unknown[] };
  return { kind: 'upsert' as const, eventId: id, sequenceNumber: String(seq).padStart(4, '0'), item };
}

describe('BatchBuilder journal (an object is accepted as a unit)', () => {
  it('rollback undoes winners, skip counts and their order as if the changes never came', () => {
    // Prepare
    const columns = new ColumnRegistry();
    const batch = new BatchBuilder({ catalog: SignalCatalog.default(), columns }, 1);
    const referenceColumns = new ColumnRegistry();
    const reference = new BatchBuilder({ catalog: SignalCatalog.default(), columns: referenceColumns }, 1);
    for (const b of [batch, reference]) {
      b.begin();
      b.add(upsert('a', 1), 'f1');
      b.add(upsert('b', 2), 'f1');
      b.add(upsert('a', 1), 'f1'); // duplicate
    }
    // Act
    batch.begin();
    const mark = columns.mark();
    batch.add(upsert('a', 5, { signals: [{ group: 'New', name: 'Thing', body: '{"value":1}' }] }), 'f2');
    batch.add(upsert('c', 6), 'f2');
    batch.add(upsert('b', 1), 'f2'); // superseded
    batch.add({ kind: 'delete', eventId: 'b', sequenceNumber: '0009' }, 'f2');
    batch.rollback();
    columns.rollback(mark);
    // Assess
    const built = batch.build([]);
    const expected = reference.build([]);
    expect(built.rows).toEqual(expected.rows);
    expect(built.deletes).toEqual([]);
    expect([...batch.skipped]).toEqual([...reference.skipped]);
    expect(columns.get('New_Thing')).toBeUndefined();
    expect(columns.added().map((c) => c.name)).toEqual(referenceColumns.added().map((c) => c.name));
  });
});

describe('processPending streams rows and bounds batches', () => {
  it('closes a batch before an object would take it past maxEventsPerBatch', async () => {
    // Prepare: three objects of three events each
    const p = await pipeline();
    for (let o = 0; o < 3; o++) {
      await p.capture(
        [0, 1, 2].map((i) => insert(event(`e${o}${i}`, i), o * 10 + i + 1)),
        `s${o}`,
      );
    }
    // Act: at most 5 events a batch; an object cannot be split, so each batch holds one object
    const s = await p.process({ maxEventsPerBatch: 5 });
    // Assess
    expect(s).toMatchObject({ batches: 3, objects: 3, inserted: 9 });
    expect(await p.rows()).toHaveLength(9);
  });

  it('deletes and skips of a streamed object count the same as before', async () => {
    const p = await pipeline();
    await p.capture([insert(event('a', 1), 1), insert(event('b', 2), 2)]);
    await p.process();
    await p.capture([
      remove('a', 3),
      remove('b', 4, true),
      insert(event('c', 3), 5),
      insert(event('c', 4), 6),
    ]);
    const s = await p.process();
    expect(s).toMatchObject({ deleted: 1, inserted: 1, skipped: 2, records: 4 });
    expect(await p.rows()).toEqual([
      { event_id: 'b', soc: 2 },
      { event_id: 'c', soc: 4 },
    ]);
  });
});
