import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type InputRecord, readInputRecords } from '../../../src/adapters/fs/readInputRecords.js';
import { tempDir } from '../../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function read(file: string): Promise<InputRecord['parsed'][]> {
  const out: InputRecord['parsed'][] = [];
  for await (const r of readInputRecords(file)) out.push(r.parsed);
  return out;
}

describe('readInputRecords: which texts can be passed on as they are (plain)', () => {
  it('an NDJSON line is plain when JSON.parse reads it the same; a whole .json file never (it may span lines)', async () => {
    // Prepare
    const ndjson = join(tmp.path, 'events.ndjson');
    writeFileSync(ndjson, '{"event_id":"a","n":1.5}\n{"event_id":"b","n":123456789012345678901}\n');
    const json = join(tmp.path, 'event.json');
    writeFileSync(json, '{\n  "event_id": "c"\n}\n');

    // Act
    const lines = await read(ndjson);
    const whole = await read(json);

    // Assess
    expect(lines).toEqual([
      { ok: true, value: { event_id: 'a', n: 1.5 }, text: '{"event_id":"a","n":1.5}', plain: true },
      {
        ok: true,
        value: { event_id: 'b', n: '123456789012345678901' },
        text: '{"event_id":"b","n":123456789012345678901}',
        plain: false,
      },
    ]);
    expect(whole).toEqual([
      { ok: true, value: { event_id: 'c' }, text: '{\n  "event_id": "c"\n}\n', plain: false },
    ]);
  });
});
