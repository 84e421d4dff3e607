import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { TelemetryStack } from '../../infra/lib/TelemetryStack.js';
import { FIXTURE_ENTRIES, nagErrors, testApp, testConfig } from './synthTelemetryStack.js';

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['imported table, job mode', testConfig()],
    [
      'new table, direct mode, customer-managed secret key',
      testConfig({
        table: { mode: 'create', streamArn: undefined },
        databricks: {
          loadMode: 'direct',
          secretKmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/0000aaaa-bb11-cc22-dd33-eeeeee444444',
        },
      }),
    ],
  ])('%s: zero unacknowledged errors', (_label, config) => {
    expect(nagErrors(config)).toEqual([]);
  });

  test('every acknowledged finding carries its reason', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'telemetry-nag-reasons-'));
    try {
      const app = testApp(outdir);
      const stack = new TelemetryStack(app, 'Telemetry', { config: testConfig(), entries: FIXTURE_ENTRIES });
      Validations.of(app).addPlugins(
        new cdkNag.AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
      );
      const template = app.synth().getStackByName(stack.stackName).template as {
        Resources: Record<
          string,
          { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
        >;
      };
      const acknowledged = Object.values(template.Resources).flatMap(
        (r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? [],
      );
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const { id, reason } of acknowledged) {
        expect(id).toMatch(/^AwsSolutions-/);
        expect(reason.length, id).toBeGreaterThan(40);
      }
      // Only deliberate kinds: prefix-scoped wildcards, the runtime pin, the alarm topic key, the log bucket.
      expect([...new Set(acknowledged.map((a) => a.id.replace(/\[.*$/, '')))].sort()).toEqual([
        'AwsSolutions-IAM5',
        'AwsSolutions-L1',
        'AwsSolutions-S1',
        'AwsSolutions-SNS2',
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
