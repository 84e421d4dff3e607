/** What a sub-command may touch: injected so tests run commands in-process. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long-running commands stop cleanly. */
  readonly signal?: AbortSignal;
}

/** A sub-command: returns the process exit code. */
export type Command = (args: string[], io: CliIO) => Promise<number>;

/** Wrong usage: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function processIO(signal?: AbortSignal): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal };
}

/** A whole-number option (`--events 3000`); anything else is wrong usage with a message naming the option. */
export function wholeNumberOption(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got '${text}'`);
  }
  return n;
}
