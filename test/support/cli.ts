import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCli } from '../../src/cli/main.js';

/** Runs the CLI in-process and captures its output. */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = process.cwd()) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await runCli(args, { stdout, stderr, env: { ...env }, cwd });
  return { code, stdout: out, stderr: err };
}

/** Runs the CLI as a child process (for crash tests: SIGKILL must really kill it). */
export function cliProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('src/cli/main.ts'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => done({ code, signal, stderr }));
  });
}

export function tempDir(prefix = 'telemetry-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** The table's content without pipeline bookkeeping columns, ordered by event_id: what "the same table" means. */
export async function tableContent(warehouse: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(warehouse, { access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  try {
    const reader = await c.runAndReadAll(
      `SELECT COLUMNS(c -> c NOT LIKE 'pipeline_%') FROM telemetry.car_telemetry_flattened ORDER BY event_id`,
    );
    return reader.getRowObjectsJson();
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
