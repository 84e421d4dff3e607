import { parseArgs } from 'node:util';
import { generateSampleItems } from '../sample/generateSample.js';
import { type Command, wholeNumberOption } from './CliIO.js';

const HELP = `Usage: telemetry sample [--vehicles N] [--events N] [--seed N]

Writes realistic sample events to stdout as NDJSON, one item per line, in the shape the DynamoDB table stores them
(signal bodies as JSON strings). The same seed always gives the same output.
`;

export const sampleCommand: Command = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      vehicles: { type: 'string', default: '10' },
      events: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const options = {
    vehicles: wholeNumberOption('vehicles', values.vehicles, 1),
    events: wholeNumberOption('events', values.events, 0),
    seed: wholeNumberOption('seed', values.seed, 0),
  };
  let buffer = '';
  for (const item of generateSampleItems(options)) {
    buffer += `${JSON.stringify(item)}\n`;
    if (buffer.length > 1 << 16) {
      if (!io.stdout.write(buffer)) await new Promise((r) => io.stdout.once('drain', r));
      buffer = '';
    }
  }
  io.stdout.write(buffer);
  return 0;
};
