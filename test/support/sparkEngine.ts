import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabricksHttp } from '../../src/adapters/databricks/DatabricksHttp.js';
import { StatementClient } from '../../src/adapters/databricks/StatementClient.js';

/** A running local Spark + Delta engine that answers the Databricks SQL Statement Execution API. */
export interface SparkEngine {
  /** `http://127.0.0.1:PORT` */
  readonly host: string;
  readonly token: string;
  readonly warehouseId: string;
  /** The engine's process id (its JVM is a child in the same process group). */
  readonly pid: number;
  /** Seconds from process start until Spark answered (as the engine measured it). */
  readonly startSeconds: number;
  stop(): Promise<void>;
}

export interface SparkEngineOptions {
  readonly token?: string;
  readonly warehouseId?: string;
  /** Result chunk size limit in bytes (default 1 MiB). */
  readonly chunkBytes?: number;
  /** JVM heap (default 1g). */
  readonly memory?: string;
  /** Give up waiting for readiness after this long (default 120 s: a cold JVM on a busy 2-core machine). */
  readonly startTimeoutMs?: number;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const VENV = join(ROOT, '.venv');
const running = new Set<ChildProcess>();

// The engine also exits when its stdin closes; this covers a test process that exits without calling stop().
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

/**
 * Starts `engine/spark/server.py` from the project's `.venv` (made by `scripts/setup-spark.sh`) on 127.0.0.1 and a
 * free port, in its own process group, and resolves once it answers.
 */
export async function startSparkEngine(opts: SparkEngineOptions = {}): Promise<SparkEngine> {
  const python = join(VENV, 'bin', 'python');
  const jarDir = join(VENV, 'jars');
  if (!existsSync(python) || !existsSync(jarDir)) {
    throw new Error(
      `The local Spark engine is not installed (${VENV} is missing): run scripts/setup-spark.sh`,
    );
  }
  const token = opts.token ?? `dapi-${randomBytes(12).toString('hex')}`;
  const warehouseId = opts.warehouseId ?? 'wh-spark-local';
  const jars = readdirSync(jarDir)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => join(jarDir, f));
  const child = spawn(python, [join(ROOT, 'engine', 'spark', 'server.py')], {
    cwd: join(ROOT, 'engine', 'spark'),
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SPARK_ENGINE_TOKEN: token,
      SPARK_ENGINE_WAREHOUSE_ID: warehouseId,
      SPARK_ENGINE_JARS: jars.join(','),
      SPARK_ENGINE_PORT: '0',
      ...(opts.chunkBytes ? { SPARK_ENGINE_CHUNK_BYTES: String(opts.chunkBytes) } : {}),
      ...(opts.memory ? { SPARK_ENGINE_MEMORY: opts.memory } : {}),
      SPARK_LOCAL_IP: '127.0.0.1',
      PYTHONUNBUFFERED: '1',
    },
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4000);
  });
  const ready = await new Promise<{ port: number; startSeconds: number }>((resolveReady, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error(`Spark engine did not start within ${opts.startTimeoutMs ?? 120_000} ms`)),
      opts.startTimeoutMs ?? 120_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      killGroup(child);
      running.delete(child);
      reject(new Error(`${error.message}\n--- engine stderr (tail) ---\n${stderr}`));
    };
    child.once('error', fail);
    child.once('exit', (code) =>
      fail(new Error(`Spark engine exited with code ${code} before it was ready`)),
    );
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const parsed = JSON.parse(line) as { port: number; startSeconds: number };
      resolveReady(parsed);
    });
  });
  child.stdout?.resume();
  return {
    host: `http://127.0.0.1:${ready.port}`,
    token,
    warehouseId,
    pid: child.pid ?? -1,
    startSeconds: ready.startSeconds,
    stop: () => stopEngine(child),
  };
}

async function stopEngine(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.stdin?.end(); // a clean stop: the engine stops Spark and removes its warehouse folder
  const timer = setTimeout(() => killGroup(child), 15_000);
  await exited;
  clearTimeout(timer);
  killGroup(child); // the JVM, should it outlive its parent
  running.delete(child);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The engine for a test file: the run's shared one (test/support/sparkGlobalSetup.ts) when it was started, else one
 * of the file's own (a filtered run). Call in `beforeAll`; `release()` in `afterAll` stops only an engine it started.
 *
 * @example
 * let engine: SparkEngine; let release: () => Promise<void>;
 * beforeAll(async () => ({ engine, release } = await acquireSparkEngine(inject('sparkEngine'))));
 * afterAll(() => release());
 */
export async function acquireSparkEngine(
  shared: { host: string; token: string; warehouseId: string } | null | undefined,
): Promise<{ engine: Pick<SparkEngine, 'host' | 'token' | 'warehouseId'>; release: () => Promise<void> }> {
  if (shared) return { engine: shared, release: async () => undefined };
  const own = await startSparkEngine();
  return { engine: own, release: () => own.stop() };
}

/**
 * {@link acquireSparkEngine} plus a StatementClient on it that polls quickly (tests), as the sink's clients use it.
 *
 * @example
 * beforeAll(async () => ({ sql, release } = await acquireSparkSql(inject('sparkEngine'))));
 */
export async function acquireSparkSql(shared: Parameters<typeof acquireSparkEngine>[0]) {
  const acquired = await acquireSparkEngine(shared);
  const { host, token, warehouseId } = acquired.engine;
  const http = new DatabricksHttp({ host, credentials: { kind: 'pat', token } });
  return { ...acquired, sql: new StatementClient(http, { warehouseId, pollMinMs: 20, pollMaxMs: 200 }) };
}
