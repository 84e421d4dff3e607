import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Waits until a child prints a line matching `pattern` on stdout and returns the match; rejects if the child
 * exits first (with the tail of its output, so a failed start says why) or the signal aborts.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const remember = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
    };
    const out = child.stdout ? createInterface({ input: child.stdout }) : undefined;
    const err = child.stderr ? createInterface({ input: child.stderr }) : undefined;
    const done = () => {
      child.off('exit', onExit);
      child.off('error', onError);
      out?.off('line', onLine);
    };
    const onLine = (line: string) => {
      remember(line);
      const match = line.match(pattern);
      if (match) {
        done();
        resolve(match);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(
        new Error(`${what} exited before it was ready (${signal ?? `code ${code}`}):\n${tail.join('\n')}`),
      );
    };
    const onError = (error: Error) => {
      done();
      reject(new Error(`${what} could not start: ${error.message}`));
    };
    out?.on('line', onLine);
    err?.on('line', remember);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves once it is gone. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A server running as a child process on 127.0.0.1. */
export interface LoopbackServer {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Waits for a server child to print its port (`pattern` captures it) and returns its handle; a child that fails
 * to start is killed and the error names it. After start, its output is drained so it never blocks on a pipe.
 */
export async function loopbackServer(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
): Promise<LoopbackServer> {
  let port: number;
  try {
    port = Number((await waitForLine(child, pattern, what))[1]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid, stop: () => stopChild(child) };
}
