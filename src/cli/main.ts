import { ConfigError, errorMessage } from '../core/errors.js';
import { type CliIO, type Command, processIO, UsageError } from './CliIO.js';
import { describeError } from './errorCause.js';
import { packageVersion } from './version.js';

/** Sub-commands, loaded on demand so `telemetry query` does not pay for the AWS SDK. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: {
    summary: 'capture, process and load events into the local table',
    load: async () => (await import('./runCommand.js')).runCommand,
  },
  query: {
    summary: 'run SQL against the local table',
    load: async () => (await import('./queryCommand.js')).queryCommand,
  },
  columns: {
    summary: 'every column of the local table: type, non-null rows, unit, signal, classification',
    load: async () => (await import('./columnsCommand.js')).columnsCommand,
  },
  sample: {
    summary: 'write realistic sample events (NDJSON) to stdout',
    load: async () => (await import('./sampleCommand.js')).sampleCommand,
  },
  status: {
    summary:
      'where the local pipeline stands (pending, quarantined, loaded, fresh); exit 1 if it needs attention',
    load: async () => (await import('./statusCommand.js')).statusCommand,
  },
  quarantine: {
    summary: 'list, show and replay quarantined records (after a rules fix)',
    load: async () => (await import('./quarantineCommand.js')).quarantineCommand,
  },
  process: {
    summary: 'process pending raw objects (local folder or S3) once',
    load: async () => (await import('./processCommand.js')).processCommand,
  },
  replay: {
    summary: "turn the capture Lambda's failed-records objects back into raw objects (exactly once)",
    load: async () => (await import('./replayCommand.js')).replayCommand,
  },
  backfill: {
    summary: "load the DynamoDB table's existing items (parallel Scan, resumable)",
    load: async () => (await import('./backfillCommand.js')).backfillCommand,
  },
  dev: {
    summary: 'a local AWS: DynamoDB Local + S3 server + stream poller + process loop',
    load: async () => (await import('./devCommand.js')).devCommand,
  },
  deploy: {
    summary: 'create or update the Databricks job, schema and table',
    load: async () => (await import('./deployCommand.js')).deployCommand,
  },
  doctor: {
    summary: 'check a Databricks workspace and say what is wrong',
    load: async () => (await import('./doctorCommand.js')).doctorCommand,
  },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `Usage: telemetry <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'telemetry <command> --help' for a command's options.\n`;
}

/** Runs one CLI invocation and returns its exit code (0 ok, 1 failure, 2 wrong usage). */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    io.stdout.write(`telemetry ${packageVersion()}\n`);
    return 0;
  }
  // `help <command>` is `<command> --help`: one help text per command.
  const [name, ...args] = first === 'help' && rest[0] !== undefined ? [rest[0], '--help'] : argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`telemetry: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load())(args, io);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(
        `telemetry ${name}: ${errorMessage(error)}\nRun 'telemetry ${name} --help' for usage.\n`,
      );
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`telemetry ${name}: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`telemetry ${name}: ${describeError(error)}\n`);
    if (io.env.TELEMETRY_DEBUG) io.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

// Entry point when bundled as dist/cli.js.
if (process.argv[1] && /(?:^|[/\\])(?:cli\.js|main\.ts|telemetry(?:\.js)?)$/.test(process.argv[1])) {
  // A closed pipe (`telemetry sample | head`) is the reader saying it has enough: end quietly, exit 0.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  runCli(process.argv.slice(2), processIO(controller.signal)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`telemetry: ${errorMessage(error)}\n`);
      process.exitCode = 1;
    },
  );
}
