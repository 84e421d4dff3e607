/**
 * Memory check (not part of `npm run bench`): process + load of raw objects as `telemetry run` does it
 * (processPending, FsObjectStore, DuckDbSink, worker threads by default), printing RSS and JS heap after each load
 * and the peak RSS, close included. Bundle it (and the worker beside it), then run it with the CLI's node flags
 * (bin/telemetry.js) and batch size to see what a user gets; the commands are in bench/results/memory-1000000.md.
 * Raw objects: `npm run bench -- --keep --work-dir DIR` leaves them in DIR/source/raw.
 */
import { join } from 'node:path';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { defaultWorkers } from '../../src/process/FlattenPool.js';
import { processPending } from '../../src/process/processPending.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';

const args = childArgs(process.argv.slice(2));
const dataDir = required(args, 'data-dir');
const maxEvents = args['max-events'] === undefined ? undefined : Number(args['max-events']);
const workers = args.workers === undefined ? defaultWorkers() : Number(args.workers);
const mb = (bytes: number): number => Math.round(bytes / 1048576);

const store = new FsObjectStore(dataDir);
const sink = await DuckDbSink.open(join(dataDir, 'warehouse.duckdb'));
const started = performance.now();
let loadedRows = 0;
// --sample-ms N: RSS and JS heap every N ms (to see where in a batch the peak is).
const sampleMs = Number(args['sample-ms'] ?? 0);
const sampler =
  sampleMs > 0
    ? setInterval(() => {
        const m = process.memoryUsage();
        const t = ((performance.now() - started) / 1000).toFixed(1);
        process.stderr.write(`sample\t${t}\t${mb(m.rss)}\t${mb(m.heapUsed)}\t${mb(m.heapTotal)}\n`);
      }, sampleMs)
    : undefined;
process.stderr.write('batch\trows\tseconds\tRSS MB\tpeak RSS MB\tJS heap MB\texternal MB\n');
const summary = await processPending(
  { store, sink },
  {
    rawPrefix: 'raw/telemetry/',
    archivePrefix: 'archive/telemetry/',
    quarantinePrefix: 'quarantine/telemetry/',
    ...(maxEvents !== undefined ? { maxEventsPerBatch: maxEvents } : {}),
    workers,
    onProgress: (s) => {
      const m = process.memoryUsage();
      const rows = s.inserted + s.updated - loadedRows;
      loadedRows += rows;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(
        `${s.batches}\t${rows}\t${seconds}\t${mb(m.rss)}\t${Math.round(peakRssMb())}\t${mb(m.heapUsed)}\t${mb(m.external)}\n`,
      );
    },
  },
);
await sink.close();
clearInterval(sampler);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage();
report({
  seconds,
  records: summary.records,
  rows: loadedRows,
  peakRssMb: peakRssMb(),
  extra: {
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    eventsPerSecond: Math.round(summary.records / seconds),
    batches: summary.batches,
    workers,
  },
});
