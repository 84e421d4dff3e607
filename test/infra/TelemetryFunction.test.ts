import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { expect, test } from 'vitest';
import { FEATURE_FLAGS } from '../../infra/lib/featureFlags.js';
import { TelemetryFunction } from '../../infra/lib/TelemetryFunction.js';

test('bundles with the local esbuild as ESM for Node 24, with the AWS SDK inside and DuckDB left out', () => {
  // Prepare: one function in a bare stack, bundled for real (no Docker on this machine or in CI).
  const outdir = mkdtempSync(join(tmpdir(), 'telemetry-bundle-'));
  try {
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: FEATURE_FLAGS });
    const stack = new Stack(app, 'Bundle');
    new TelemetryFunction(stack, 'Fn', {
      functionName: 'bundle-test',
      description: 'bundle test',
      entry: 'test/infra/fixtures/bundledHandler.ts',
      projectRoot: resolve('.'),
      environment: {},
      memoryMb: 128,
      timeoutSeconds: 3,
      logRetention: RetentionDays.ONE_DAY,
      statements: [],
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess: the asset directory holds one ESM file that imports DuckDB at run time instead of containing it.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
    });
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const dir = join(outdir, assets[0] ?? '');
    expect(readdirSync(dir)).toEqual(['index.mjs']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith('import { createRequire as __telemetryRequire }')).toBe(true);
    expect(code).toMatch(/from\s*"@duckdb\/node-api"/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    expect(code).toContain('S3Client');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  expect(existsSync(outdir)).toBe(false);
});
