import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

// These run the real launcher (bin/telemetry.js -> dist/cli.js), built once.
beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent']);
}, 60_000);

function bin(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['bin/telemetry.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

const oldNode = Number.parseInt(process.versions.node, 10) < 22;

describe('bin/telemetry.js', () => {
  it('--version prints the package version', () => {
    // Prepare
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    // Act
    const r = bin(['--version']);
    // Assess
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`telemetry ${pkg.version}\n`);
  });

  it("'help <command>' prints the same text as '<command> --help'", () => {
    // Act
    const a = bin(['help', 'query']);
    const b = bin(['query', '--help']);
    // Assess
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('Usage: telemetry query');
    expect(a.stdout).toBe(b.stdout);
  });

  it('ends quietly with exit 0 when the reader closes the pipe (telemetry sample | head)', () => {
    // Act
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; "${process.execPath}" bin/telemetry.js sample --events 200000 | head -n 2 >/dev/null; echo "rc=$?"`,
      ],
      { encoding: 'utf8' },
    );
    // Assess: pipefail makes the echo report the CLI's own exit code.
    expect(r.stdout).toBe('rc=0\n');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it('on an old Node says so in one line, instead of the AWS SDK multi-line warning', () => {
    // Act: `process --bucket` loads the AWS SDK; port 9 refuses, which is enough to create a client.
    const r = bin(
      ['process', '--bucket', 'b', '--endpoint', 'http://127.0.0.1:9', '--data-dir', '.tmp/bin-test'],
      {
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
        AWS_REGION: 'eu-west-1',
      },
    );
    // Assess
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    const lines = r.stderr.split('\n').filter((l) => l.includes('older than the supported'));
    expect(lines).toHaveLength(oldNode ? 1 : 0);
  });
});
