import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import {
  type InputRecord,
  readInputRecords,
  readLineByLine,
  STDIN,
} from '../adapters/fs/readInputRecords.js';
import { type CaptureInputsResult, captureInputs } from '../capture/captureInputs.js';
import { workerEntry } from '../process/workerEntry.js';
import { generateSampleItems } from '../sample/generateSample.js';
import { faultInjector } from './faults.js';

/** What `telemetry run` captures: input files, or generated sample events. Plain data: it crosses to a thread. */
export interface CaptureJob {
  readonly dataDir: string;
  readonly rawPrefix: string;
  /** Records per raw object. */
  readonly chunkSize: number;
  readonly snapshotTime: number;
  readonly input: { readonly files: readonly string[] } | { readonly sample: number };
  /** TELEMETRY_FAULT for the crash tests (see faults.ts). */
  readonly fault?: string | undefined;
}

export interface CaptureCallbacks {
  /** After each raw object is written, in order (awaited before the next is announced). */
  readonly onObject: (key: string) => void | Promise<void>;
  readonly onRecord: (records: number) => void;
  readonly shouldStop: () => boolean;
}

async function* sampleInput(events: number): AsyncGenerator<InputRecord> {
  let position = 0;
  for (const item of generateSampleItems({ vehicles: 25, events, seed: 7 })) {
    position += 1;
    yield { file: 'sample', position, parsed: { ok: true, value: item } };
  }
}

async function* allInputs(files: readonly string[]): AsyncGenerator<InputRecord> {
  for (const f of files) yield* readInputRecords(f);
}

/** Captures the job's input into raw objects in the data folder, on this thread. */
export function captureJob(job: CaptureJob, callbacks: CaptureCallbacks): Promise<CaptureInputsResult> {
  const fault = faultInjector({ TELEMETRY_FAULT: job.fault });
  return captureInputs(
    'sample' in job.input ? sampleInput(job.input.sample) : allInputs(job.input.files),
    new FsObjectStore(job.dataDir),
    {
      rawPrefix: job.rawPrefix,
      chunkSize: job.chunkSize,
      snapshotTime: job.snapshotTime,
      onObject: async (key) => {
        fault('after-capture-object');
        await callbacks.onObject(key);
      },
      onRecord: callbacks.onRecord,
      shouldStop: callbacks.shouldStop,
    },
  );
}

/**
 * Input worth a thread of its own: more than two raw objects of ~10 KB events, so that process has objects to read
 * while capture goes on. Standard input and named pipes (size unknown, read once) stay on the main thread, and so
 * do inputs with a file read whole (a `.json` array is one string: the main thread's heap is the larger).
 */
const THREAD_BYTES = 96 * 1024 * 1024;
const THREAD_EVENTS = 10_000;

export function worthAThread(job: CaptureJob): boolean {
  if ('sample' in job.input) return job.input.sample >= THREAD_EVENTS;
  let bytes = 0;
  for (const f of job.input.files) {
    if (f === STDIN || !readLineByLine(f)) return false;
    const s = statSync(f);
    if (!s.isFile()) return false;
    bytes += s.size;
  }
  return bytes >= THREAD_BYTES;
}

/** Message from the capture thread. */
export type CaptureMessage =
  | { readonly object: string }
  | { readonly records: number }
  | { readonly done: CaptureInputsResult };

/**
 * {@link captureJob} in a worker thread, so that capture (reading and encoding input, gzip) uses the second core
 * while this thread processes. The thread announces each object once written and waits for nothing: objects are
 * announced here in order; a stop is passed on at the next progress report.
 */
export function captureInThread(job: CaptureJob, callbacks: CaptureCallbacks): Promise<CaptureInputsResult> {
  const entry = workerEntry('captureWorker', import.meta.url);
  const worker = new Worker(entry.url, {
    execArgv: entry.execArgv,
    workerData: job,
    // The thread holds a line and one object's gzip bytes (outside its heap): a small heap is plenty, and what it
    // does not reserve stays available to processing alongside.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
  });
  let announced: Promise<void> = Promise.resolve();
  let stopping = false;
  return new Promise<CaptureInputsResult>((resolve, reject) => {
    worker.on('message', (m: CaptureMessage) => {
      if ('object' in m) announced = announced.then(() => callbacks.onObject(m.object));
      else if ('records' in m) {
        callbacks.onRecord(m.records);
        if (!stopping && callbacks.shouldStop()) {
          stopping = true;
          worker.postMessage('stop');
        }
      } else announced.then(() => resolve(m.done), reject);
    });
    worker.on('error', reject);
    // After the announcements still running (the result, when the thread sent it, is taken first).
    worker.on('exit', (code) => {
      announced.then(() => reject(new Error(`capture thread stopped (exit code ${code})`)), reject);
    });
  }).finally(() => worker.terminate());
}
