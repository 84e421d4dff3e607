/**
 * Worker-thread entry (bundled to dist/captureWorker.js): runs the capture job it was started with (see
 * captureInThread) and reports each object, progress, and the result to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CaptureJob, type CaptureMessage, captureJob } from './captureJob.js';

const port = parentPort;
if (!port) throw new Error('captureWorker runs in a worker thread');
let stop = false;
port.on('message', (m: unknown) => {
  if (m === 'stop') stop = true;
});
/** Progress at most every this many records: a message each costs more than reading a record. */
const REPORT_EVERY = 1000;
const post = (m: CaptureMessage): void => port.postMessage(m);
const done = await captureJob(workerData as CaptureJob, {
  onObject: (key) => post({ object: key }),
  onRecord: (n) => {
    if (n % REPORT_EVERY === 0) post({ records: n });
  },
  shouldStop: () => stop,
});
post({ records: done.records });
post({ done });
port.close();
