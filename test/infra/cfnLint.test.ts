import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { synthTelemetryStack, testConfig } from './synthTelemetryStack.js';

/** Checks cfn-lint may skip, each with its reason (nothing else is suppressed). */
const IGNORED: Record<string, string> = {
  W3005:
    'Each function DependsOn its role on purpose (CDK adds it via node.addDependency so the role exists before ' +
    'the first log write); the GetAtt already orders them, the explicit edge is harmless.',
};

/** The project's .venv (scripts/setup-cfn-lint.sh, run by `npm test`), else cfn-lint on the PATH. */
function cfnLint(): string {
  const venv = resolve('.venv/bin/cfn-lint');
  return existsSync(venv) ? venv : 'cfn-lint';
}

test('cfn-lint finds nothing in the synthesized templates (job and direct mode)', async () => {
  // Prepare: both load modes' templates as files.
  const dir = mkdtempSync(join(tmpdir(), 'telemetry-cfn-lint-'));
  try {
    const files = (['job', 'direct'] as const).map((loadMode) => {
      const file = join(dir, `${loadMode}.json`);
      const config = testConfig({ databricks: { loadMode }, region: 'eu-west-1' });
      writeFileSync(file, JSON.stringify(synthTelemetryStack(config).template.toJSON()));
      return file;
    });

    // Act: exit code 0 means no error, warning or informational finding.
    const run = await promisify(execFile)(
      cfnLint(),
      [
        '--format',
        'parseable',
        '--regions',
        'eu-west-1',
        '--ignore-checks',
        ...Object.keys(IGNORED),
        '--',
        ...files,
      ],
      { encoding: 'utf8' },
    ).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );

    // Assess
    expect(run.out.trim()).toBe('');
    expect(run.code).toBe(0);
    for (const reason of Object.values(IGNORED)) expect(reason.length).toBeGreaterThan(40);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
