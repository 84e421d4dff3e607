import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineError } from '../core/errors.js';

/** The lock file in a data folder: who writes there now. */
export const LOCK_FILE = '.telemetry.lock';

interface Holder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** Another live process holds the data folder. */
export class DataDirLockedError extends PipelineError {
  constructor(
    readonly dir: string,
    readonly holder: Holder,
  ) {
    super(
      `another telemetry run (PID ${holder.pid}) is using ${dir} ('telemetry ${holder.command}' since ` +
        `${holder.since}); wait for it to finish, stop it, or pass --wait`,
      { terminal: true },
    );
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number'
      ? { pid: h.pid, command: String(h.command), since: String(h.since) }
      : undefined;
  } catch {
    return undefined;
  }
}

export interface LockOptions {
  /** Wait for the holder to finish instead of stopping. */
  readonly wait?: boolean;
  readonly signal?: AbortSignal;
  /** How often a waiter looks again (default 500 ms). */
  readonly pollMs?: number;
}

/**
 * One writer per data folder: an exclusive lock file holding our PID and command. A lock whose PID is dead
 * (a crashed or killed run) is taken over. Returns the release function.
 */
export async function lockDataDir(
  dir: string,
  command: string,
  options: LockOptions = {},
): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, command, since: new Date().toISOString() };
  let torn = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      return () => {
        if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder === undefined && !torn) {
      // Unreadable: a writer between open and write, or a torn file from a crash. Look once more, then take over.
      torn = true;
      await sleep(50);
      continue;
    }
    if (holder === undefined || !alive(holder.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    torn = false;
    if (!options.wait || options.signal?.aborted) throw new DataDirLockedError(dir, holder);
    await sleep(options.pollMs ?? 500);
  }
}
