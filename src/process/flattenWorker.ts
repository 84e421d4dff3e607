/**
 * Worker-thread entry (bundled to dist/flattenWorker.js): flattens the raw objects the main thread sends, one
 * message per object, and answers with a {@link FlattenedObject} or the error that stopped it.
 */
import { serialize } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../core/errors.js';
import { type FlattenJob, flattenObject } from './flattenObject.js';

const port = parentPort;
if (!port) throw new Error('flattenWorker runs in a worker thread');
port.on('message', (message: { readonly id: number; readonly job: FlattenJob }) => {
  flattenObject(message.job).then(
    (result) => {
      // Serialized here and moved: the main thread keeps objects flattened ahead outside its V8 heap until it
      // merges them (as plain arrays they were most of its heap, and its garbage collector ran 17% of the time).
      const bytes = serialize(result);
      port.postMessage({ id: message.id, bytes }, [bytes.buffer as ArrayBuffer]);
    },
    (error: unknown) => port.postMessage({ id: message.id, error: errorMessage(error) }),
  );
});
