import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** All runtime settings come from `TELEMETRY_*` variables, parsed once at cold start; errors name every problem. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, what: string): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid ${what} configuration: ${problems}`);
  }
  return result.data;
}

/** The variable names a schema reads (for the CDK app: a function gets exactly what its parser requires). */
export function envKeys(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

export const nonEmpty = z.string().trim().min(1);
export const prefix = z
  .string()
  .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, 'must be empty or end with "/" (e.g. "telemetry/")');
