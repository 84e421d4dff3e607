import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { padSequence, type RawRecord } from '../../src/core/model/RawRecord.js';
import { quarantineReplay } from '../../src/process/quarantineReplay.js';
import { event, insert, PREFIXES, pipeline } from '../support/pipeline.js';

/** A stream record an earlier capture could not convert: kept whole with its error, as toRawRecords does. */
function unconverted(item: Record<string, unknown>, seq: number): RawRecord {
  return {
    eventName: 'INSERT',
    eventID: `ev-${seq}`,
    sequenceNumber: padSequence(seq),
    approximateCreationTime: Date.UTC(2025, 10, 25, 20),
    keys: null,
    newImage: {
      eventID: `ev-${seq}`,
      eventName: 'INSERT',
      dynamodb: {
        SequenceNumber: String(seq),
        ApproximateCreationDateTime: 1764100800,
        Keys: marshall({ event_id: item.event_id }),
        NewImage: marshall(item),
      },
    },
    userIdentity: null,
    captureError: 'unsupported attribute type (a bug of an earlier release)',
  };
}

describe('quarantineReplay (memory store + DuckDB)', () => {
  it('re-ingests with the original stream order key: an older version than the table is skipped, not applied', async () => {
    // Prepare: two stream records quarantined by an earlier capture; a newer version of 'b' is in the table.
    const p = await pipeline();
    await p.capture([unconverted(event('a', 50), 10), unconverted(event('b', 60), 12)]);
    await p.capture([insert(event('b', 70), 20)], 'shard-2');
    const processed = await p.process();
    expect(processed).toMatchObject({ quarantined: 2, inserted: 1 });

    // Act
    const first = await quarantineReplay({ store: p.store, sink: p.sink }, PREFIXES);
    const second = await quarantineReplay({ store: p.store, sink: p.sink }, PREFIXES);

    // Assess
    expect(first).toMatchObject({
      entries: 2,
      replayed: 2,
      kept: 0,
      removed: 2,
      process: { records: 2, inserted: 1, skippedByReason: { 'older than the version in the table': 1 } },
    });
    expect(await p.rows()).toEqual([
      { event_id: 'a', soc: 50 },
      { event_id: 'b', soc: 70 },
    ]);
    expect(
      await p.rows(
        `SELECT pipeline_sequence_number AS key FROM telemetry.car_telemetry_flattened WHERE event_id = 'a'`,
      ),
    ).toEqual([{ key: padSequence(10) }]);
    expect(second).toMatchObject({ entries: 0, replayed: 0, removed: 0, process: { records: 0 } });
    expect(await p.keys('quarantine/')).toEqual([]);
    expect(await p.keys('raw/')).toEqual([]);
  });

  it('a dry run decides and counts but writes nothing', async () => {
    // Prepare
    const p = await pipeline();
    await p.capture([unconverted(event('a', 50), 10)]);
    await p.process();
    const before = await p.keys('');

    // Act
    const dry = await quarantineReplay({ store: p.store, sink: p.sink }, { ...PREFIXES, dryRun: true });

    // Assess
    expect(dry).toMatchObject({ dryRun: true, entries: 1, replayed: 1, removed: 0, process: { records: 0 } });
    expect(await p.keys('')).toEqual(before);
    expect(await p.rows('SELECT count(*) AS n FROM telemetry.car_telemetry_flattened')).toEqual([{ n: '0' }]);
  });
});
