import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';

describe('telemetry replay', () => {
  it('--help names the sub-command and every option', async () => {
    const { code, stdout } = await cli(['replay', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: telemetry replay failed-records --bucket B --failed-bucket F/);
  });

  it.each([
    [['replay', '--bucket', 'b', '--failed-bucket', 'f'], /expected 'telemetry replay failed-records'/],
    [['replay', 'failed-records', '--bucket', 'b'], /--bucket and --failed-bucket are both needed/],
    [
      ['replay', 'failed-records', '--bucket', 'b', '--failed-bucket', 'f', '--endpoint', 'nope'],
      /must be a URL/,
    ],
  ])('wrong usage %j: exit 2 with the reason', async (args, reason) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(reason);
  });

  it('is listed in the top-level usage', async () => {
    const { stdout } = await cli(['--help']);
    expect(stdout).toMatch(/replay\s+turn the capture Lambda's failed-records objects back into raw objects/);
  });
});
