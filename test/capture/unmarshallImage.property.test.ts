import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryObjectStore } from '../../src/adapters/memory/MemoryObjectStore.js';
import { type StreamRecordLike, streamRecordLine } from '../../src/capture/fromStreamRecord.js';
import { makeCaptureHandler } from '../../src/capture/makeCaptureHandler.js';
import { unmarshallImage } from '../../src/capture/unmarshallImage.js';
import { exactNumber } from '../../src/core/ndjson/parseJson.js';
import { generateSampleItems } from '../../src/sample/generateSample.js';
import { allFixtures, readFixture } from '../support/fixtures.js';
import { outcome, referenceExactNumber, referenceUnmarshallImage } from './support/referenceCapture.js';

/** Number texts around every edge of the exact-number rule, and text that is no number at all. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc
    .tuple(
      fc.stringMatching(/^-?(0|[1-9]\d{0,20})$/),
      fc.stringMatching(/^\d{0,25}$/),
      fc.integer({ min: -420, max: 420 }),
    )
    .map(([i, f, e]) => `${i}${f ? `.${f}` : ''}${e % 3 === 0 ? `e${e}` : ''}`),
  fc.constantFrom(
    '0',
    '-0',
    '0.0',
    '00012',
    '1.50',
    '1e400',
    '-1e400',
    '1e-400',
    '5e-324',
    '2.2250738585072014e-308',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '123456789012345',
    '1234567890123456',
    '0.1234567890123456789',
    '9007199254740.993',
    '0.30000000000000004',
    '1e21',
    '1e-7',
    '0.000001',
    ' 12',
    '0x1F',
    '1_000',
    'abc',
    '',
    'Infinity',
    'NaN',
    '+5',
  ),
);
/** Map keys as they come: ordinary, index-like (JS orders those first), empty, escaped, inherited names. */
const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      '0',
      '10',
      '4294967295',
      '-1',
      '',
      'a"b\\c',
      'é',
    ),
  },
);
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.json());
const bytes = fc.uint8Array({ maxLength: 12 });
/** Values malformed DynamoDB JSON can carry where the type tag wants something else. */
const odd = fc.oneof(
  fc.constantFrom(null, true, false, 0, 5, '', 'x', [], {}, ['12'], [5], { S: 'x' }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Attribute values: well-formed most of the time (with sets, binary as base64 or bytes), sometimes not. */
const { attribute } = fc.letrec<{ attribute: unknown }>((tie) => ({
  attribute: fc.oneof(
    { weight: 6, arbitrary: text.map((S) => ({ S })) },
    { weight: 6, arbitrary: numberText.map((N) => ({ N })) },
    { weight: 1, arbitrary: fc.boolean().map((BOOL) => ({ BOOL })) },
    { weight: 1, arbitrary: fc.constant({ NULL: true }) },
    { weight: 1, arbitrary: fc.oneof(fc.base64String({ maxLength: 12 }), bytes).map((B) => ({ B })) },
    { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }).map((SS) => ({ SS })) },
    { weight: 1, arbitrary: fc.array(numberText, { maxLength: 4 }).map((NS) => ({ NS })) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(fc.base64String({ maxLength: 8 }), bytes), { maxLength: 3 })
        .map((BS) => ({ BS })),
    },
    { weight: 3, arbitrary: fc.array(tie('attribute'), { maxLength: 4 }).map((L) => ({ L })) },
    { weight: 3, arbitrary: tie('map').map((M) => ({ M })) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc
          .tuple(fc.constantFrom('S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS', 'Q', ''), odd)
          .map(([tag, value]) => Object.fromEntries([[tag, value]])),
        fc
          .tuple(tie('attribute'), tie('attribute'))
          .map(([a, b]) => ({ ...(a as object), ...(b as object) })),
        fc.constantFrom({ SS: ['a', 'a', 'b'] }, { NS: ['1', '1.0', '-0', '0', '1e400', '1e400'] }),
        odd,
      ),
    },
  ),
  // Built with fromEntries so that `__proto__` is an own key, as JSON.parse makes it.
  map: fc
    .array(fc.tuple(key, tie('attribute')), { maxLength: 5 })
    .map((entries) => Object.fromEntries(entries)),
}));
const image = fc.oneof(
  { weight: 9, arbitrary: attribute.map((a) => ({ top: a })) },
  {
    weight: 9,
    arbitrary: fc.letrec((tie) => ({
      m: fc.array(fc.tuple(key, attribute), { maxLength: 6 }).map((e) => Object.fromEntries(e)),
      x: tie('m'),
    })).m,
  },
  { weight: 1, arbitrary: odd },
);

const streamRecord = fc.record(
  {
    eventID: fc.oneof(fc.string({ maxLength: 6 }), odd),
    eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE', 'UPSERT', undefined),
    userIdentity: fc.oneof(fc.constant({ type: 'Service', principalId: 'dynamodb.amazonaws.com' }), odd),
    dynamodb: fc.record(
      {
        SequenceNumber: fc.oneof(fc.stringMatching(/^\d{1,30}$/), fc.constantFrom('', 'x1', '1'.repeat(41))),
        ApproximateCreationDateTime: fc.oneof(
          fc.integer({ min: 0, max: 2e9 }),
          fc.double(),
          fc.constantFrom('1764100800', 'soon'),
        ),
        Keys: image,
        NewImage: image,
        OldImage: image,
      },
      { requiredKeys: ['SequenceNumber'] },
    ),
  },
  { requiredKeys: ['dynamodb'] },
) as fc.Arbitrary<StreamRecordLike>;

const NOW = Date.UTC(2025, 10, 25, 20);

/** `fromStreamRecord` as it was: the same module, loaded with the SDK-based unmarshaller of before. */
let referenceFromStreamRecord: typeof import('../../src/capture/fromStreamRecord.js').fromStreamRecord;
beforeAll(async () => {
  vi.resetModules();
  vi.doMock('../../src/capture/unmarshallImage.js', () => ({ unmarshallImage: referenceUnmarshallImage }));
  ({ fromStreamRecord: referenceFromStreamRecord } = await import('../../src/capture/fromStreamRecord.js'));
  vi.doUnmock('../../src/capture/unmarshallImage.js');
});

describe('unmarshallImage in one pass: the same JSON as the SDK unmarshall + the plain-in-place walk it replaces', () => {
  it('exactNumber with its fast path decides every number text as the original rule', () => {
    fc.assert(
      fc.property(numberText, (t) => {
        expect(
          Object.is(exactNumber(t), referenceExactNumber(t)) || exactNumber(t) === referenceExactNumber(t),
        ).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('the same text or the same error for any image, well-formed or not', () => {
    fc.assert(
      fc.property(image, (img) => {
        // Act
        const encoded = outcome(() => JSON.stringify(unmarshallImage(img as Record<string, unknown>)));
        const reference = outcome(() =>
          JSON.stringify(referenceUnmarshallImage(img as Record<string, unknown>)),
        );

        // Assess
        expect(encoded).toBe(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it('the same line or the same error for any stream record', () => {
    fc.assert(
      fc.property(streamRecord, (record) => {
        // Act
        const encoded = outcome(() => streamRecordLine(record, NOW).text);
        const reference = outcome(() => JSON.stringify(referenceFromStreamRecord(record, NOW)));

        // Assess
        expect(encoded).toBe(reference);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('capture on real items', () => {
  const items = [
    ...allFixtures().map((f) => readFixture(f)),
    ...generateSampleItems({ vehicles: 5, events: 200, seed: 11 }),
  ] as Record<string, unknown>[];

  it('every fixture and 200 sample events: the handler writes the same bytes (gunzipped) as before', async () => {
    // Prepare: stream records as Lambda delivers them (JSON), INSERT with keys, MODIFY with both images
    const records = items.map((item, i) => {
      const typed = marshall(item, { removeUndefinedValues: true });
      return JSON.parse(
        JSON.stringify({
          eventID: `id-${i}`,
          eventName: i % 2 ? 'MODIFY' : 'INSERT',
          dynamodb: {
            ApproximateCreationDateTime: 1764100800 + i,
            Keys: { event_id: { S: `e${i}` } },
            NewImage: typed,
            ...(i % 2 ? { OldImage: typed } : {}),
            SequenceNumber: String(1000 + i),
          },
        }),
      ) as StreamRecordLike;
    });
    const store = new MemoryObjectStore();
    const handler = makeCaptureHandler({
      store,
      rawPrefix: 'raw/',
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => NOW,
    });

    // Act
    await handler({ Records: records } as unknown as DynamoDBStreamEvent);

    // Assess
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    expect(keys).toHaveLength(1);
    const written = gunzipSync(Buffer.from(await store.get(keys[0] as string))).toString('utf8');
    const expected = records.map((r) => `${JSON.stringify(referenceFromStreamRecord(r, NOW))}\n`).join('');
    expect(written).toBe(expected);
  });
});
