/**
 * Measured step 5: our process + load end to end, raw gzip NDJSON objects -> rows committed in DuckDB, through
 * the same use case and adapters as `telemetry run` (processPending, FsObjectStore, DuckDbSink).
 */
import { join } from 'node:path';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { FsObjectStore } from '../../src/adapters/fs/FsObjectStore.js';
import { processPending } from '../../src/process/processPending.js';
import { childArgs, peakRssMb, report, required } from '../lib/childResult.js';
import { warehouseChecksum } from '../lib/tableChecksum.js';

const args = childArgs(process.argv.slice(2));
const dataDir = required(args, 'data-dir');
const maxEvents = args['max-events'] === undefined ? undefined : Number(args['max-events']);
const workers = args.workers === undefined ? 0 : Number(args.workers);

const store = new FsObjectStore(dataDir);
const sink = await DuckDbSink.open(join(dataDir, 'warehouse.duckdb'));
const started = performance.now();
const options = {
  rawPrefix: 'raw/telemetry/',
  archivePrefix: 'archive/telemetry/',
  quarantinePrefix: 'quarantine/telemetry/',
  ...(maxEvents !== undefined ? { maxEventsPerBatch: maxEvents } : {}),
  workers,
};
const summary = await processPending({ store, sink }, options);
// Closing is part of a run (DuckDB's last checkpoint happens here): timed and inside the peak RSS.
await sink.close();
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage();
const rss = peakRssMb();
const check = await warehouseChecksum(join(dataDir, 'warehouse.duckdb'));
report({
  seconds,
  records: summary.records,
  ...check, // rows, checksum, columns
  peakRssMb: rss,
  extra: {
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    batches: summary.batches,
    inserted: summary.inserted,
    skipped: summary.skipped,
  },
});
