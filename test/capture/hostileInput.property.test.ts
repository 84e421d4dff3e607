import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Lines as users could have them: events (some valid), arbitrary JSON, arbitrary text. */
const line = fc.oneof(
  fc.record({
    event_id: fc.string({ minLength: 1, maxLength: 8 }),
    signals: fc.constant([]),
    extra: fc.jsonValue(),
  }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
);
const file = fc.oneof(
  fc
    .array(line, { maxLength: 8 })
    .map((ls) => ls.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
);

describe('telemetry run on arbitrary input files', () => {
  it('never throws; every record is in the table, quarantined or skipped with a reason; counts reconcile', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(file, fc.constantFrom('.ndjson', '.json', '.ndjson.gz')), {
          minLength: 1,
          maxLength: 3,
        }),
        async (contents) => {
          // Prepare
          run += 1;
          const inputs = contents.map(([c, ext], i) => {
            const path = join(tmp.path, `in-${run}-${i}${ext}`);
            writeFileSync(path, ext.endsWith('.gz') && typeof c === 'string' ? gzipSync(c) : c);
            return path;
          });

          // Act
          const r = await cli([
            'run',
            '--json',
            ...inputs.flatMap((p) => ['--input', p]),
            '--data-dir',
            join(tmp.path, `d${run}`),
          ]);

          // Assess: exit 1 only when nothing at all was usable; never a crash (exit 2) or a thrown error
          expect(r.stderr).not.toMatch(/Error|at /);
          const s = JSON.parse(r.stdout);
          expect(s.reconciled).toBe(true);
          expect(s.process.records).toBe(s.input.records);
          const reasons = (by: Record<string, number>) => Object.values(by).reduce((a, b) => a + b, 0);
          expect(reasons(s.process.quarantinedByReason)).toBe(s.process.quarantined);
          expect(reasons(s.process.skippedByReason)).toBe(s.process.skipped);
        },
      ),
      { numRuns: 12 },
    );
  });
});
