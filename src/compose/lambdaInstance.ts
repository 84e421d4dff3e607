/**
 * The one Lambda entry pattern, for every handler: in Lambda the instance (config validated, clients built) is
 * made at cold start, before the first event, so a bad configuration fails fast; imported anywhere else (tests,
 * `telemetry dev`) the module has no side effects and the instance is made on first use.
 *
 * @example
 * const instance = lambdaInstance(() => captureHandlerFromEnv());
 * export const handler = (event) => instance()(event);
 */
export function lambdaInstance<T>(fromEnv: () => T, env: NodeJS.ProcessEnv = process.env): () => T {
  let instance: T | undefined = env.AWS_LAMBDA_FUNCTION_NAME ? fromEnv() : undefined;
  return () => {
    instance ??= fromEnv();
    return instance;
  };
}
