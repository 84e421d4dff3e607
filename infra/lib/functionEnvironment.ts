import type { z } from 'zod';
import { envKeys, parseEnv } from '../../src/config/parseEnv.js';
import { ConfigError } from '../../src/core/errors.js';

/**
 * The environment of one function, checked at synth time against the zod schema its handler parses at cold
 * start: no variable the parser does not read, and the parser accepts the values. Deploy-time tokens (bucket
 * names built from the account and region) are opaque strings here and pass the non-empty checks.
 */
export function functionEnvironment(
  schema: z.ZodObject,
  values: Record<string, string>,
  what: string,
): Record<string, string> {
  const known = new Set(envKeys(schema));
  const unknown = Object.keys(values).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(`${what} function: its config parser does not read ${unknown.join(', ')}`);
  }
  parseEnv(schema, values, what);
  return values;
}
