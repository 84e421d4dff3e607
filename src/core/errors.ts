/**
 * One error hierarchy. `terminal` errors are about content (quarantine the record and move on);
 * transient ones are about infrastructure (throttling, network: retry the whole unit of work).
 */
export class PipelineError extends Error {
  readonly terminal: boolean;
  constructor(message: string, options: { terminal: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.terminal = options.terminal;
  }
}

/** A record that cannot become a row: it goes to quarantine with this message as its reason. */
export class InvalidRecordError extends PipelineError {
  constructor(message: string) {
    super(message, { terminal: true });
  }
}

/** Wrong configuration or usage: fail fast with a clear message. */
export class ConfigError extends PipelineError {
  constructor(message: string) {
    super(message, { terminal: true });
  }
}

/** Storage, network or service trouble that a retry may fix. */
export class TransientError extends PipelineError {
  constructor(message: string, cause?: unknown) {
    super(message, { terminal: false, cause });
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
