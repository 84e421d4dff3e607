import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { cli, cliProcess, tableContent, tempDir } from '../support/cli.js';
import { FIXTURES_DIR, readFixture } from '../support/fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function sampleFile(name: string, events: number, extraLines: string[] = []): string {
  const path = join(tmp.path, name);
  const lines = [...generateSampleItems({ vehicles: 5, events, seed: 3 })].map((i) => JSON.stringify(i));
  writeFileSync(path, `${[...lines, ...extraLines].join('\n')}\n`);
  return path;
}

describe('telemetry run', () => {
  it('takes every shape users have: fixtures folder (webhooks, items), DynamoDB export, stream records, gzip NDJSON', async () => {
    const dir = join(tmp.path, 'shapes');
    mkdirSync(dir);
    const item = readFixture('seed/dynamodb-item-example.json') as Record<string, unknown>;
    writeFileSync(
      join(dir, 'export.ndjson.gz'),
      gzipSync(
        `${JSON.stringify({ Item: { event_id: { S: 'exp-1' }, signals: { L: [] }, vehicle: { M: { year: { N: '2021' } } } } })}\n` +
          `${JSON.stringify({ event_id: { S: 'typed-1' }, signals: { L: [] } })}\n`,
      ),
    );
    writeFileSync(
      join(dir, 'stream.jsonl'),
      `${JSON.stringify({
        eventID: '1',
        eventName: 'INSERT',
        dynamodb: {
          ApproximateCreationDateTime: 1764100800,
          Keys: { event_id: { S: 'str-1' } },
          NewImage: {
            event_id: { S: 'str-1' },
            signals: { L: [] },
            meta: { M: { signalCount: { N: '12345678901234567890' } } },
          },
          SequenceNumber: '111',
        },
      })}\n`,
    );
    writeFileSync(join(dir, 'item.json'), JSON.stringify([item]));
    const data = join(tmp.path, 'shapes-data');
    const r = await cli(['run', '--input', FIXTURES_DIR, '--input', dir, '--data-dir', data, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    // 9 fixture files (one VERIFY: skipped), 2 export lines, 1 stream record, 1 item (= the seed fixture); 5 VW fixtures share one eventId.
    expect(s.process).toMatchObject({ records: 13, skipped: 6, quarantined: 0, inserted: 7 });
    expect(s.process.skippedByReason['verify delivery (no vehicle data)']).toBe(1);
    expect(s.reconciled).toBe(true);
    const q = await cli([
      'query',
      '--data-dir',
      data,
      '--format',
      'json',
      'SELECT event_id, vehicle_year, _rescued_data FROM telemetry.car_telemetry_flattened ORDER BY 1',
    ]);
    const rows = JSON.parse(q.stdout);
    expect(rows.map((x: { event_id: string }) => x.event_id)).toEqual(
      expect.arrayContaining([
        'exp-1',
        'typed-1',
        'str-1',
        'test-1764100800',
        '2b65f4e6-0356-440e-a87f-eed19cffda9a',
      ]),
    );
    expect(rows.find((x: { event_id: string }) => x.event_id === 'exp-1').vehicle_year).toBe('2021');
    // A number beyond double precision is kept exactly (as text, rescued) instead of being rounded.
    expect(JSON.parse(rows.find((x: { event_id: string }) => x.event_id === 'str-1')._rescued_data)).toEqual({
      meta_signal_count: '12345678901234567890',
    });
  });

  it('re-running the same input leaves the table unchanged; a later line is a newer version', async () => {
    const data = join(tmp.path, 'rerun');
    const input = sampleFile('rerun.ndjson', 200);
    const first = JSON.parse((await cli(['run', '--input', input, '--data-dir', data, '--json'])).stdout);
    const before = await tableContent(join(data, 'warehouse.duckdb'));
    const second = JSON.parse((await cli(['run', '--input', input, '--data-dir', data, '--json'])).stdout);
    expect(second.process).toMatchObject({ inserted: 0, updated: 0, unchanged: first.process.inserted });
    expect(await tableContent(join(data, 'warehouse.duckdb'))).toEqual(before);
    // Replaying the archive (raw lines keep their own sequence numbers) through the same pipeline changes nothing.
    const replay = await cli([
      'run',
      '--input',
      join(data, 'archive'),
      '--data-dir',
      join(tmp.path, 'rerun-replay'),
      '--json',
    ]);
    expect(JSON.parse(replay.stdout).process).toMatchObject({
      inserted: first.process.inserted,
      quarantined: 0,
    });
    expect(await tableContent(join(tmp.path, 'rerun-replay', 'warehouse.duckdb'))).toEqual(before);
  });

  it('quarantines bad lines with file, line and reason, and the counts reconcile', async () => {
    const data = join(tmp.path, 'bad');
    const input = sampleFile('bad.ndjson', 20, [
      '{not json',
      '{"signals": []}',
      '{"event_id": "x", "signals": {}}',
      '[1,2]',
    ]);
    const r = await cli(['run', '--input', input, '--data-dir', data]);
    const failing = await cli([
      'run',
      '--input',
      input,
      '--data-dir',
      data,
      '--fail-on-quarantine',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/quarantined 4/);
    expect(r.stdout).toContain(`in ${join(data, 'quarantine', 'telemetry')}/`);
    expect(r.stdout).toMatch(/reconciled {2}yes/);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({
      quarantine: `${join(data, 'quarantine', 'telemetry')}/`,
      process: { quarantined: 4 },
    });
    const q = await cli([
      'query',
      '--data-dir',
      data,
      '--format',
      'csv',
      'SELECT count(*) AS n FROM telemetry.car_telemetry_flattened',
    ]);
    expect(q.stdout.trim().split('\n')[1]).toMatch(/^(19|20)$/);
  });

  it('explains wrong usage with exit code 2 and missing files with exit code 1', async () => {
    expect((await cli(['run', '--bogus'])).code).toBe(2);
    expect((await cli(['nope'])).code).toBe(2);
    const missing = await cli([
      'run',
      '--input',
      join(tmp.path, 'does-not-exist.ndjson'),
      '--data-dir',
      join(tmp.path, 'm'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/input not found/);
    const noWarehouse = await cli(['query', '--data-dir', join(tmp.path, 'empty'), 'SELECT 1']);
    expect(noWarehouse.code).toBe(1);
    expect(noWarehouse.stderr).toMatch(/no warehouse/);
  });
});

describe('telemetry run survives kill -9 at any step', () => {
  let input: string;
  let expected: Record<string, unknown>[];
  beforeAll(async () => {
    input = sampleFile('crash.ndjson', 120, ['{broken']);
    const data = join(tmp.path, 'crash-reference');
    await cli(['run', '--input', input, '--data-dir', data, '--batch-events', '50']);
    expected = await tableContent(join(data, 'warehouse.duckdb'));
    expect(expected.length).toBeGreaterThan(100);
  });

  it.each([
    'after-capture-object:2',
    'after-read:2',
    'after-quarantine:1',
    'after-load:2',
    'after-archive-copy:1',
    'after-archive:1',
  ])('killed at %s, then re-run: same table as an uninterrupted run', async (fault) => {
    const data = join(tmp.path, `crash-${fault.replace(':', '-')}`);
    const args = ['run', '--input', input, '--data-dir', data, '--batch-events', '50'];
    const killed = await cliProcess(args, { TELEMETRY_FAULT: fault });
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await cliProcess(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await tableContent(join(data, 'warehouse.duckdb'))).toEqual(expected);
  });
});

describe('telemetry run after an interrupted run', () => {
  it('says "recovered from an interrupted run" only for objects such a run left loaded but not archived', async () => {
    // Prepare: killed after its first load, before archiving
    const input = sampleFile('recover.ndjson', 120);
    const data = join(tmp.path, 'recover');
    const args = ['run', '--input', input, '--data-dir', data, '--batch-events', '50'];
    const killed = await cliProcess(args, { TELEMETRY_FAULT: 'after-load:1' });
    // Act
    const rerun = await cli(args);
    const plain = await cli(args);
    // Assess
    expect(killed.signal).toBe('SIGKILL');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(
      /\+\d+ object\(s\) recovered from an interrupted run \(loaded, now archived\)/,
    );
    expect(plain.stdout).not.toMatch(/recovered|already loaded/);
  });
});

describe('telemetry sample and query', () => {
  it('sample is deterministic for a seed and yields item-shaped events', async () => {
    const a = await cli(['sample', '--events', '5', '--seed', '9']);
    const b = await cli(['sample', '--events', '5', '--seed', '9']);
    expect(a.stdout).toBe(b.stdout);
    const items = a.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(items).toHaveLength(5);
    expect(items[0]).toMatchObject({
      event_id: expect.any(String),
      signals: expect.any(Array),
      record_type: 'ALL',
    });
    expect(items[0].signals.length).toBeGreaterThanOrEqual(15);
  });
});

describe('telemetry run: capture alongside processing', () => {
  it('a large input is captured in a thread of its own while processing goes on; a re-run inserts nothing', async () => {
    // Prepare: 10,000 sample events (enough for a capture thread), objects of 2,500
    const data = join(tmp.path, 'threaded');
    const args = ['run', '--events', '10000', '--batch-events', '2500', '--data-dir', data, '--json'];

    // Act
    const first = await cli(args);
    const table = await tableContent(join(data, 'warehouse.duckdb'));
    const again = await cli(args);

    // Assess
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ input: { records: 10_000 }, capture: { objects: 4 }, reconciled: true });
    expect(summary.process).toMatchObject({ records: 10_000, objects: 4, quarantined: 0 });
    expect(again.code, again.stderr).toBe(0);
    // The sample re-delivers some events with other content: a re-run replays those versions, so some update.
    expect(JSON.parse(again.stdout).process).toMatchObject({ records: 10_000, inserted: 0 });
    expect(await tableContent(join(data, 'warehouse.duckdb'))).toEqual(table);
  }, 120_000);
});
