import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tableContent, tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** `telemetry run` as a child process with `stdin` piped in; resolves with its exit code and JSON summary. */
function runWithStdin(args: string[], stdin: string | undefined) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('src/cli/main.ts'), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin.end(stdin);
  });
}

describe('telemetry run: input from a pipe', () => {
  it('--input - reads NDJSON from standard input', async () => {
    // Prepare
    const events = (await cli(['sample', '--events', '40', '--vehicles', '2'])).stdout;
    // Act
    const piped = await runWithStdin(
      ['run', '--input', '-', '--data-dir', join(tmp.path, 'stdin'), '--json'],
      events,
    );
    // Assess
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout).process).toMatchObject({ records: 40, quarantined: 0 });
    expect((await tableContent(join(tmp.path, 'stdin', 'warehouse.duckdb'))).length).toBeGreaterThan(30);
  }, 60_000);

  it('a named pipe (FIFO) is read once, even a .json one holding NDJSON', async () => {
    // Prepare
    const events = (await cli(['sample', '--events', '25', '--vehicles', '2'])).stdout;
    const fifo = join(tmp.path, 'events.json');
    execFileSync('mkfifo', [fifo]);
    // Act
    const running = runWithStdin(
      ['run', '--input', fifo, '--data-dir', join(tmp.path, 'fifo'), '--json'],
      '',
    );
    createWriteStream(fifo).end(events);
    const r = await running;
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).process).toMatchObject({ records: 25, quarantined: 0 });
  }, 60_000);

  it('processes what is captured while input still arrives: objects are loaded and archived before it ends', async () => {
    // Prepare: 60 events now, 40 more once the first objects are archived
    const lines = (await cli(['sample', '--events', '100', '--vehicles', '3'])).stdout.trim().split('\n');
    const fifo = join(tmp.path, 'slow.ndjson');
    execFileSync('mkfifo', [fifo]);
    const data = join(tmp.path, 'slow');
    const archived = () =>
      existsSync(join(data, 'archive'))
        ? (readdirSync(join(data, 'archive'), { recursive: true }) as string[]).filter((f) =>
            f.endsWith('.gz'),
          )
        : [];

    // Act
    const running = runWithStdin(
      ['run', '--input', fifo, '--data-dir', data, '--batch-events', '20', '--json'],
      '',
    );
    const pipe = createWriteStream(fifo);
    pipe.write(`${lines.slice(0, 60).join('\n')}\n`);
    const deadline = Date.now() + 30_000;
    while (archived().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const archivedBeforeTheEnd = archived().length;
    pipe.end(`${lines.slice(60).join('\n')}\n`);
    const r = await running;

    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(archivedBeforeTheEnd).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout).process).toMatchObject({ records: 100, objects: 5, quarantined: 0 });
    expect(archived()).toHaveLength(5);
  }, 60_000);
});
