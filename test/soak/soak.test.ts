import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSoak } from './runSoak.js';

// `npm test` runs a short soak; `npm run soak` the full size (SOAK_EVENTS=50000). No timing assertions: the
// figures are printed for the operations guide, the test asserts only that the table is exact.
const events = Number(process.env.SOAK_EVENTS ?? 1_500);

describe('soak on the local AWS', () => {
  it(
    `${events} events while S3 fails at random, the poller is killed once and DynamoDB Local restarts once: the table equals DynamoDB`,
    async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'telemetry-soak-'));
      try {
        // Act
        const figures = await runSoak({
          events,
          s3FaultRate: 0.03,
          directory: dir,
          log: (line) => console.log(`soak: ${line}`),
        });
        console.log(`soak figures: ${JSON.stringify(figures)}`);

        // Assess
        expect(figures.s3Failed).toBeGreaterThan(0);
        expect(figures.rows).toBeGreaterThan(events * 0.8);
        expect(figures.tableEqualsDynamoDb).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    Math.max(240_000, events * 60),
  );
});
