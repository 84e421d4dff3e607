import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { FEATURE_FLAGS } from '../../infra/lib/featureFlags.js';
import { type InfraConfig, infraConfig } from '../../infra/lib/infraConfig.js';
import { TelemetryStack } from '../../infra/lib/TelemetryStack.js';

export const FIXTURE_ENTRIES = {
  capture: 'test/infra/fixtures/captureHandler.ts',
  process: 'test/infra/fixtures/processHandler.ts',
  trigger: 'test/infra/fixtures/triggerHandler.ts',
} as const;

/** A complete config for tests: the example's values, with overrides merged on top. */
export function testConfig(overrides: Record<string, unknown> = {}): InfraConfig {
  const example = JSON.parse(readFileSync('infra/config/example.json', 'utf8')) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...example };
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] =
      typeof value === 'object' && value !== null && typeof base === 'object' && base !== null
        ? { ...(base as object), ...(value as object) }
        : value;
  }
  return infraConfig.parse(merged);
}

export interface Synthesized {
  readonly stack: TelemetryStack;
  readonly template: Template;
}

/**
 * An app for template assertions: bundling skipped (the assertions read the template, not the code) and CDK's
 * CloudFormation schema validation off (seconds of WASM per process; it runs once, in synthApp.test.ts).
 */
export function testApp(outdir: string): App {
  return new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] },
  });
}

/** Builds the stack with fixture handlers; the temp output directory is removed before returning. */
export function synthTelemetryStack(config: InfraConfig): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'telemetry-cdk-'));
  try {
    const stack = new TelemetryStack(testApp(outdir), 'Telemetry', { config, entries: FIXTURE_ENTRIES });
    return { stack, template: Template.fromStack(stack) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface NagViolation {
  readonly rule: string;
  readonly description: string;
  readonly paths: readonly string[];
}

/**
 * Runs cdk-nag's AwsSolutions pack over a fresh app; returns the unacknowledged error-level findings.
 */
export function nagErrors(config: InfraConfig): NagViolation[] {
  const outdir = mkdtempSync(join(tmpdir(), 'telemetry-nag-'));
  try {
    const app = testApp(outdir);
    new TelemetryStack(app, 'Telemetry', { config, entries: FIXTURE_ENTRIES });
    Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
    try {
      app.synth();
      return [];
    } catch (error) {
      const report = join(outdir, 'validation-report.json');
      if (!existsSync(report)) throw error;
      const parsed = JSON.parse(readFileSync(report, 'utf8')) as {
        pluginReports: {
          violations: {
            ruleName: string;
            description: string;
            severity?: string;
            violatingConstructs: { constructPath: string }[];
          }[];
        }[];
      };
      return parsed.pluginReports.flatMap((r) =>
        r.violations
          .filter((v) => v.severity === undefined || v.severity === 'error')
          .map((v) => ({
            rule: v.ruleName,
            description: v.description,
            paths: v.violatingConstructs.map((c) => c.constructPath),
          })),
      );
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
