import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type ChildResult, RESULT_PREFIX } from './childResult.js';

/**
 * Runs one measured implementation in its own process (so its peak RSS is its own) and returns what it
 * reported. With `cpus`, the process is pinned to those cores (taskset), e.g. '0' for a one-core run; `env`: its
 * environment (default this process's).
 */
export function runChild(
  command: string,
  args: readonly string[],
  cpus?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  const [cmd, argv] = cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        reject(new Error(`${cmd} ${argv.join(' ')} exited with ${code}:\n${out.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
    });
  });
}

/** Whether `taskset` (util-linux) is on the PATH: without it, one-core runs are skipped. */
export function hasTaskset(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/taskset`));
}
