import type { Command } from './CliIO.js';

/** Placeholder: implemented with the AWS stages (issue 3). */
export const devCommand: Command = async (_args, io) => {
  io.stderr.write('telemetry dev: not implemented yet\n');
  return 1;
};
