import type { TestProject } from 'vitest/node';
import { type SparkEngine, startSparkEngine } from './sparkEngine.js';

/**
 * vitest globalSetup: ONE Spark engine for the whole run (a JVM start costs ~15 s), started only when a selected test
 * file lives under test/engine/ or names Spark (`*spark*`), so other runs pay nothing. Test files read it with
 * `inject('sparkEngine')` (see {@link sparkEngineFromSetup}) and use their own schema.
 */
let engine: SparkEngine | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    sparkEngine: { host: string; token: string; warehouseId: string } | null;
  }
}

export async function setup(project: TestProject): Promise<void> {
  // An engine already running (engine/spark/README.md: SPARK_ENGINE_HOST, _TOKEN, _WAREHOUSE_ID) saves the start.
  const {
    SPARK_ENGINE_HOST: host,
    SPARK_ENGINE_TOKEN: token,
    SPARK_ENGINE_WAREHOUSE_ID: warehouseId,
  } = process.env;
  if (host && token && warehouseId) return project.provide('sparkEngine', { host, token, warehouseId });
  const wanted = process.env.SPARK_ENGINE === '1' || wantsSpark(process.argv.slice(2));
  engine = wanted ? await startSparkEngine() : undefined;
  project.provide(
    'sparkEngine',
    engine ? { host: engine.host, token: engine.token, warehouseId: engine.warehouseId } : null,
  );
}

export async function teardown(): Promise<void> {
  await engine?.stop();
}

/** No file filter (a full run) or a filter naming the engine's tests. */
function wantsSpark(args: readonly string[]): boolean {
  const filters = args.filter((a) => !a.startsWith('-') && a !== 'run' && a !== 'watch');
  return filters.length === 0 || filters.some((f) => /engine|spark/i.test(f));
}
