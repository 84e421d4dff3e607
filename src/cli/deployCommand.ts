import type { Command } from './CliIO.js';

/** Placeholder: implemented with the Databricks sink (issue 4). */
export const deployCommand: Command = async (_args, io) => {
  io.stderr.write('telemetry deploy: not implemented yet\n');
  return 1;
};
