import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { synthTelemetryStack, testConfig } from './synthTelemetryStack.js';
import { resourcesOfType } from './templateQueries.js';

const DOC = readFileSync('docs/deploy.md', 'utf8');

/** Every piece of code on the page: fenced blocks and inline spans, where the commands an operator copies live. */
function codeOf(markdown: string): string[] {
  const fenced = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const prose = markdown.replace(/```[a-z]*\n[\s\S]*?```/g, '');
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  return [...fenced, ...inline];
}

/** `telemetry <command> ...` invocations: the command and the flags written after it (comments dropped). */
function telemetryCommands(code: readonly string[]): { command: string; flags: string[]; text: string }[] {
  const out: { command: string; flags: string[]; text: string }[] = [];
  for (const piece of code) {
    for (const m of piece.matchAll(/(?:^|\s)telemetry ([a-z][a-z-]*)([^#\n]*)/gm)) {
      const flags = [...(m[2] ?? '').matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((f) => f[1] ?? '');
      out.push({ command: m[1] ?? '', flags, text: m[0].trim() });
    }
  }
  return out;
}

describe('docs/deploy.md: the rehearsal an operator follows', () => {
  it('every `telemetry ...` command it names exists and takes the flags it is given', async () => {
    // Prepare
    const commands = telemetryCommands(codeOf(DOC));
    expect(commands.map((c) => c.command)).toEqual(
      expect.arrayContaining(['deploy', 'doctor', 'replay', 'backfill']),
    );

    // Act + Assess: each command's own --help lists every flag used with it.
    for (const { command, flags, text } of commands) {
      const help = await cli([command, '--help']);
      expect(help.code, text).toBe(0);
      for (const flag of flags) expect(help.stdout, `${text}: ${flag}`).toContain(flag);
    }
  });

  it('every `npm run ...` it names is a script of package.json', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts,
    );
    const named = codeOf(DOC).flatMap((c) => [...c.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(scripts, `npm run ${name}`).toContain(name);
  });

  it('walks through the steps in the order that cannot fail on its first runs', () => {
    const steps = [...DOC.matchAll(/^### (\d)\. (.+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(steps).toEqual([
      expect.stringMatching(/^1 Bootstrap/),
      expect.stringMatching(/^2 Write your config/),
      expect.stringMatching(/^3 Store the Databricks credentials/),
      expect.stringMatching(/^4 Deploy the Databricks side/),
      expect.stringMatching(/^5 Deploy the stack \(schedule disabled\)/),
      expect.stringMatching(/^6 First data/),
      expect.stringMatching(/^7 Verify/),
    ]);
    // The quota check, the older mapping on the same stream, and the schedule off until the table side is ready.
    for (const text of [
      'aws lambda get-account-settings',
      'aws lambda list-event-source-mappings --event-source-arn',
      'aws lambda update-event-source-mapping --uuid <UUID> --no-enabled',
      '"process": {"enabled": false}',
      '"process": {"enabled": true}',
    ])
      expect(DOC).toContain(text);
  });

  describe('alarms', () => {
    let names: string[];
    beforeAll(() => {
      // Job mode: every alarm the stack can create (the trigger's included).
      const { template } = synthTelemetryStack(testConfig({ databricks: { loadMode: 'job' } }));
      names = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) =>
        String(a.Properties?.AlarmName).replace(/^chargeminder-telemetry-/, ''),
      );
    });

    it('every alarm the stack creates has a row saying what it means and the runbook step', () => {
      const table = DOC.slice(DOC.indexOf('## Alarms'), DOC.indexOf('## Metrics the handlers emit'));
      const rows = table.split('\n').filter((l) => l.startsWith('| `'));
      expect(names.length).toBeGreaterThanOrEqual(15);
      for (const name of names) {
        const row = rows.find((r) => (r.split('|')[1] ?? '').includes(`\`${name}\``));
        expect(row, name).toBeDefined();
        const cells = (row ?? '').split('|').slice(1, -1);
        expect(cells, name).toHaveLength(4);
        for (const cell of cells) expect(cell.trim().length, `${name}: ${row}`).toBeGreaterThan(10);
      }
    });
  });

  it('states the monthly cost at 1M and 100M events next to the original claim', () => {
    const cost = DOC.slice(DOC.indexOf('## Monthly cost'), DOC.indexOf('## Updating and removing'));
    for (const row of ['1M events, direct', '1M events, job', '100M events, direct', '100M events, job'])
      expect(cost).toContain(`| ${row}`);
    expect(cost).toContain('~$0.20 Lambda and $1-5 S3 per 1M events');
    expect(cost).toMatch(/Assumptions:/);
    expect(cost).toMatch(/Databricks SQL warehouse/);
  });
});
