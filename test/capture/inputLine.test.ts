import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromInputRecord, inputLine, type ParsedInput } from '../../src/capture/fromInputRecord.js';
import { parseJsonChecked } from '../../src/core/ndjson/parseJson.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';

const at = {
  file: '/in/events.ndjson',
  position: 7,
  sequenceNumber: '-1796000000000f07',
  now: 1796000000000,
};

/** What readInputRecords makes of a text: a line, or a whole `.json` file when it spans lines (never `plain`). */
function read(text: string): ParsedInput {
  try {
    const { value, plain } = parseJsonChecked(text);
    return { ok: true, value, text, plain: plain && !text.includes('\n') };
  } catch {
    return { ok: false, text };
  }
}

/** The line capture wrote before input lines kept their text: the record's JSON encoding. */
const encoded = (parsed: ParsedInput): string => JSON.stringify(fromInputRecord(parsed, at));

describe('inputLine: the raw line of one input record', () => {
  it('an item as stored keeps its text: the same bytes as its encoding when the text is in JSON.stringify form', () => {
    // Prepare
    const texts = [...generateSampleItems({ vehicles: 3, events: 200, seed: 11 })].map((i) =>
      JSON.stringify(i),
    );

    // Act
    const lines = texts.map((t) => inputLine(read(t), at));

    // Assess
    lines.forEach((line, i) => {
      const parsed = read(texts[i] as string);
      expect(line.text).toBe(encoded(parsed));
      expect(line).toMatchObject({
        eventName: 'INSERT',
        sequenceNumber: at.sequenceNumber,
        approximateCreationTime: at.now,
      });
    });
  });

  it('other spellings of the same item (spaces, escapes, 1.50) read back as the same values process would get', () => {
    // Prepare
    const text = ' { "event_id" : "e-1", "soc" : 1.50, "name": "caf\\u00e9", "signals" : [ ] } ';

    // Act
    const line = inputLine(read(text), at);

    // Assess: process reads raw lines with plain JSON.parse
    expect(line.text).toContain('"soc" : 1.50');
    expect(JSON.parse(line.text)).toEqual(JSON.parse(encoded(read(text))));
  });

  it.each([
    ['a number a double would round', '{"event_id":"e-1","odometer":123456789012345678901,"signals":[]}'],
    ['text over several lines (a .json file)', '{\n  "event_id": "e-1",\n  "signals": []\n}'],
    ['an export line', '{"Item":{"event_id":{"S":"e-1"}}}'],
    ['typed DynamoDB JSON', '{"event_id":{"S":"e-1"},"signals":{"L":[]}}'],
    ['a record process will quarantine', '{"signals":[]}'],
    ['a numeric id', '{"event_id":17,"signals":[]}'],
    ['not JSON', '{"event_id":'],
  ])('%s is encoded as before', (_, text) => {
    // Act
    const line = inputLine(read(text), at);

    // Assess
    expect(line.text).toBe(encoded(read(text)));
  });

  it('any item, however written, reads back from its line as from its encoding (property)', () => {
    const spaced = (json: string, space: number) =>
      JSON.stringify(JSON.parse(json), null, space).replace(/\n/g, ' ');
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        fc.integer({ min: 0, max: 3 }),
        (fields, id, space) => {
          // Prepare
          const text = spaced(JSON.stringify({ ...fields, event_id: id, signals: [] }), space);

          // Act
          const line = inputLine(read(text), at);

          // Assess
          expect(line.text.includes('\n')).toBe(false);
          expect(JSON.parse(line.text)).toEqual(JSON.parse(encoded(read(text))));
        },
      ),
      { numRuns: 300 },
    );
  });
});
