import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);

test('`cdk synth` (what `npm run synth` runs) passes cdk-nag and CloudFormation validation and bundles the real handlers', {
  timeout: 240_000,
}, async () => {
  // Prepare: a private output directory, so a developer's cdk.out is left alone.
  const outdir = mkdtempSync(join(tmpdir(), 'telemetry-synth-'));
  const loadDir = mkdtempSync(join(tmpdir(), 'telemetry-bundle-load-'));
  try {
    // Act: the CLI with the project's cdk.json (notices and telemetry off), as a user runs it.
    await run(
      'npx',
      ['cdk', 'synth', '--no-notices', '--no-version-reporting', '--quiet', '--output', outdir],
      {
        env: { ...process.env, TELEMETRY_DEPLOY_CONFIG: '' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );

    // Assess: one template with the three functions; each bundle is one self-contained ESM file.
    const template = JSON.parse(
      readFileSync(join(outdir, 'ChargeMinderTelemetry.template.json'), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties?: { FunctionName?: string } }>;
    };
    const functions = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.FunctionName)
      .sort();
    expect(functions).toEqual([
      'chargeminder-telemetry-capture',
      'chargeminder-telemetry-process',
      'chargeminder-telemetry-trigger',
    ]);
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(3);
    for (const asset of assets) {
      const code = readFileSync(join(outdir, asset, 'index.mjs'), 'utf8');
      expect(code, asset).not.toContain('@duckdb/node-api');
      // Loaded away from node_modules, as Lambda loads it; outside Lambda the module builds nothing at import.
      const copy = join(loadDir, `${asset}.mjs`);
      copyFileSync(join(outdir, asset, 'index.mjs'), copy);
      const probe = `const m = await import(${JSON.stringify(pathToFileURL(copy).href)}); console.log(typeof m.handler);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: loadDir });
      expect(stdout.trim(), asset).toBe('function');
    }

    // Each bundle is invoked with a realistic event on Node 24 in bundlesOnNode24.test.ts.
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(loadDir, { recursive: true, force: true });
  }
});
