import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/cli/dataDirLock.js';
import { cli, tempDir } from '../support/cli.js';

const tmp = tempDir();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  tmp.cleanup();
});

/** A live process standing for another telemetry run. */
function liveHolder(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid ?? 0;
}

function plantLock(dir: string, pid: number, command = 'run'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, command, since: '2026-12-02T10:00:00.000Z' }));
}

describe('one writer per data folder', () => {
  it('a second writer stops at once naming the holder PID and the folder', async () => {
    // Prepare
    const dir = join(tmp.path, 'held');
    const pid = liveHolder();
    plantLock(dir, pid);
    // Act
    const r = await cli(['run', '--events', '10', '--data-dir', dir]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`another telemetry run (PID ${pid}) is using ${dir}`);
    expect(existsSync(join(dir, 'warehouse.duckdb'))).toBe(false);
  });

  it('a second dev on the same folder is refused before it starts anything', async () => {
    // Prepare
    const dir = join(tmp.path, 'dev');
    const pid = liveHolder();
    plantLock(dir, pid, 'dev');
    // Act
    const r = await cli(['dev', '--data-dir', dir]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`another telemetry run (PID ${pid}) is using ${dir} ('telemetry dev'`);
    expect(r.stdout).toBe('');
  });

  it('a lock left by a dead process is taken over, and released after the run', async () => {
    // Prepare: the PID of a process that has exited.
    const dir = join(tmp.path, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    plantLock(dir, Number(dead.stdout));
    // Act
    const r = await cli(['run', '--events', '10', '--data-dir', dir, '--json']);
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).process.inserted).toBeGreaterThan(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('--wait waits for the holder to finish, then runs', async () => {
    // Prepare
    const dir = join(tmp.path, 'wait');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(holder);
    plantLock(dir, holder.pid ?? 0);
    // Act: the holder ends while we wait.
    const running = cli(['process', '--data-dir', dir, '--wait', '--json']);
    setTimeout(() => holder.kill(), 300);
    const r = await running;
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).records).toBe(0);
  });
});
