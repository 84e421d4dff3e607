import { availableParallelism } from 'node:os';
import { deserialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FlattenedObject, FlattenJob } from './flattenObject.js';
import { workerEntry } from './workerEntry.js';

/**
 * V8 heap cap of each worker: it holds one object's lines while it reads and that object's cells until they are
 * passed on (~30-50 MB for 10,000 events), so the cap only stops a runaway, it is not a working size.
 */
const WORKER_HEAP_MB = 256;

/** Workers for `telemetry run/process` by default: one per core when there are two or more, else none. */
export function defaultWorkers(): number {
  const cores = availableParallelism();
  return cores >= 2 ? cores : 0;
}

/** A worker's result as it arrived: bytes outside the V8 heap until {@link read} (once, at merge time). */
export class SerializedFlattening {
  constructor(private bytes: Uint8Array | undefined) {}

  read(): FlattenedObject {
    if (!this.bytes) throw new Error('a flattening result is read once');
    const result = deserialize(this.bytes) as FlattenedObject;
    this.bytes = undefined;
    return result;
  }
}

/** A worker stopped (out of memory, crashed): its jobs, and jobs when none is left, fail with this. */
export class WorkerLostError extends Error {}

interface Slot {
  readonly worker: Worker;
  alive: boolean;
  readonly jobs: Map<number, { resolve: (r: SerializedFlattening) => void; reject: (e: Error) => void }>;
}

/**
 * Worker threads that flatten raw objects (gunzip, parse, flatten, hash: the CPU work of the process stage) while
 * the main thread merges and loads. A job goes to the worker with the fewest jobs; its bytes are moved, not copied.
 *
 * @example
 * const pool = new FlattenPool(2);
 * try { const flattened = (await pool.flatten({ key, body, seed: columns.all(), quarantinePrefix })).read(); }
 * finally { await pool.close(); }
 */
export class FlattenPool {
  readonly #slots: Slot[] = [];
  #next = 0;

  constructor(readonly size: number) {
    const entry = workerEntry('flattenWorker', import.meta.url);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(entry.url, {
        execArgv: entry.execArgv,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
      const slot: Slot = { worker, alive: true, jobs: new Map() };
      worker.on('message', (m: { id: number; bytes?: Uint8Array; error?: string }) => {
        const job = slot.jobs.get(m.id);
        slot.jobs.delete(m.id);
        if (m.bytes) job?.resolve(new SerializedFlattening(m.bytes));
        else job?.reject(new Error(`flattening worker: ${m.error}`));
      });
      const failAll = (error: Error): void => {
        slot.alive = false;
        for (const job of slot.jobs.values()) job.reject(new WorkerLostError(error.message));
        slot.jobs.clear();
      };
      worker.on('error', failAll);
      worker.on('exit', (code) => failAll(new Error(`flattening worker stopped (exit code ${code})`)));
      this.#slots.push(slot);
    }
  }

  flatten(job: FlattenJob): Promise<SerializedFlattening> {
    const alive = this.#slots.filter((s) => s.alive);
    const slot = alive.reduce<Slot | undefined>(
      (a, b) => (a && a.jobs.size <= b.jobs.size ? a : b),
      undefined,
    );
    if (!slot) return Promise.reject(new WorkerLostError('no flattening worker left'));
    const id = this.#next++;
    // Moved to the worker, so a copy: the store may keep (or pool) the bytes it returned (a memcpy, ~1 ms per 10 MB).
    const body = new Uint8Array(job.body);
    return new Promise((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      slot.worker.postMessage({ id, job: { ...job, body } }, [body.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
