import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CaptureJob, captureInThread, captureJob, worthAThread } from '../../src/cli/captureJob.js';
import { tempDir } from '../support/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const job = (dataDir: string, input: CaptureJob['input']): CaptureJob => ({
  dataDir,
  rawPrefix: 'raw/telemetry/',
  chunkSize: 400,
  snapshotTime: Date.UTC(2026, 11, 5, 12),
  input,
});

/** Every file under `dir` with its bytes, by path relative to it. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }) as string[])
    if (f.endsWith('.gz')) out[f] = readFileSync(join(dir, f)).toString('base64');
  return out;
}

describe('capture jobs of telemetry run', () => {
  it('in a thread: the same raw objects as on this thread, announced in order, with progress', async () => {
    // Prepare
    const here = job(join(tmp.path, 'here'), { sample: 2500 });
    const there = job(join(tmp.path, 'there'), { sample: 2500 });
    const announced: string[] = [];
    const progress: number[] = [];

    // Act
    const inThisThread = await captureJob(here, {
      onObject: () => undefined,
      onRecord: () => undefined,
      shouldStop: () => false,
    });
    const inAThread = await captureInThread(there, {
      onObject: async (key) => {
        await new Promise((resolve) => setTimeout(resolve, 1)); // a slow announcement keeps its place
        announced.push(key);
      },
      onRecord: (n) => progress.push(n),
      shouldStop: () => false,
    });

    // Assess
    expect(inAThread).toEqual(inThisThread);
    expect(inAThread).toMatchObject({ records: 2500, objects: 7 });
    expect(files(there.dataDir)).toEqual(files(here.dataDir));
    expect(announced).toEqual([...announced].sort());
    expect(announced).toHaveLength(7);
    expect(progress.at(-1)).toBe(2500);
  });

  it('in a thread: a stop is passed on, and the objects written so far are whole', async () => {
    // Act
    const r = await captureInThread(job(join(tmp.path, 'stopped'), { sample: 20_000 }), {
      onObject: () => undefined,
      onRecord: () => undefined,
      shouldStop: () => true,
    });

    // Assess
    expect(r.records).toBeLessThan(20_000);
    expect(Object.keys(files(join(tmp.path, 'stopped')))).toHaveLength(r.objects);
  });

  it('in a thread: a failure to write rejects with its error', async () => {
    // Prepare: the data folder would be inside a file
    const file = join(tmp.path, 'a-file');
    writeFileSync(file, 'x');

    // Act
    const outcome = await captureInThread(job(join(file, 'data'), { sample: 10 }), {
      onObject: () => undefined,
      onRecord: () => undefined,
      shouldStop: () => false,
    }).catch((e: unknown) => e);

    // Assess
    expect(String((outcome as Error).message)).toMatch(/ENOTDIR|not a directory/);
  });

  it('a thread is worth it from ~10,000 events: sample size, or the input files bytes; never for a pipe or a file read whole', () => {
    // Prepare
    const small = join(tmp.path, 'small.ndjson');
    writeFileSync(small, '{}\n');
    const large = join(tmp.path, 'large.ndjson.gz');
    writeFileSync(large, '');
    truncateSync(large, 96 * 1024 * 1024); // sparse: its size is what counts

    // Assess
    expect(worthAThread(job('d', { sample: 10_000 }))).toBe(true);
    expect(worthAThread(job('d', { sample: 9_999 }))).toBe(false);
    expect(worthAThread(job('d', { files: [small] }))).toBe(false);
    expect(worthAThread(job('d', { files: [small, large] }))).toBe(true);
    expect(worthAThread(job('d', { files: ['-'] }))).toBe(false);
    expect(worthAThread(job('d', { files: [small.replace('.ndjson', '.json')] }))).toBe(false); // read whole
  });
});
