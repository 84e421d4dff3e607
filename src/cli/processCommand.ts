import type { Command } from './CliIO.js';

/** Placeholder: implemented with the AWS stages (issue 3). */
export const processCommand: Command = async (_args, io) => {
  io.stderr.write('telemetry process: not implemented yet\n');
  return 1;
};
