import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { openSink } from '../compose/openSink.js';
import type { ObjectStore } from '../ports/ObjectStore.js';
import type { TableSink } from '../ports/TableSink.js';
import { reconciles } from '../process/ProcessSummary.js';
import {
  findQuarantineEntry,
  originalText,
  type QuarantineEntry,
  quarantineEntries,
} from '../process/quarantineEntries.js';
import { QUARANTINE_REPLAY_FOLDER, quarantineReplay } from '../process/quarantineReplay.js';
import { openBucketLayout } from './bucketLayout.js';
import { type CliIO, type Command, UsageError } from './CliIO.js';
import { lockDataDir } from './dataDirLock.js';
import { type LocalLayout, localLayout } from './localLayout.js';
import { formatProcessSummary } from './processCommand.js';
import { isoSeconds } from './statusCommand.js';

const HELP = `Usage: telemetry quarantine list|show ID|replay [--data-dir DIR] [--json] [--dry-run]
       telemetry quarantine list|show ID|replay --bucket B [--endpoint URL] [--json] [--dry-run]

What could not become a row, and why (docs/operations.md, "Quarantine"):
  list       every entry: id, reason, source object and line (input file and position), when it was quarantined
  show ID    one entry (an id from list, or a unique start of it) with the record's original text
  replay     after a rules fix: re-ingest the records that now parse through the normal process + load, keep what
             still fails. Exactly once: a replayed record keeps its order key; its raw object (one per 5000
             records, named by their entries) is noted before it is written and written only when neither pending
             nor archived, so a re-run after a crash finishes it. A second replay changes nothing. Locally it
             loads them itself and removes the entries once their load committed; exit 1 when the replay's counts
             do not reconcile. A kept entry that fails for another reason today is rewritten with that reason.
             --json: {entries, replayed, kept, keptByReason, reasonsUpdated, written, removed, loaded, process,
             dryRun}

With --bucket the entries are read from the bucket's quarantine prefix (TELEMETRY_QUARANTINE_PREFIX, default
quarantine/telemetry/, where the process function writes them). A replay there writes the raw objects under the
raw prefix's quarantine-replay/ folder (TELEMETRY_RAW_PREFIX, default telemetry/) and removes their entries; the
process function loads them on its next run (or telemetry process --bucket B), under its single-writer lease.

Options:
  --data-dir DIR   data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --bucket B       the quarantine of this bucket instead of the data folder
  --endpoint URL   S3-compatible endpoint of --bucket (default TELEMETRY_S3_ENDPOINT, else AWS S3)
  --json           print the entries, the entry or the replay summary as JSON
  --dry-run        replay: say what would be replayed and kept; write nothing
  --wait           replay: wait for another run using the same data folder to finish (default: stop with its PID)
`;

function where(e: QuarantineEntry): string {
  const line = e.kind === 'object' ? '' : `:${e.source.line}`;
  const file = e.source.file === undefined ? '' : ` (${e.source.file}:${e.source.position ?? '?'})`;
  return `${e.source.object}${line}${file}`;
}

function asJson(e: QuarantineEntry, withRecord: boolean) {
  const { record, at, ...rest } = e;
  const text = originalText(e);
  return {
    ...rest,
    at: isoSeconds(at),
    ...(withRecord ? { record, ...(text === undefined ? {} : { text }) } : {}),
  };
}

export const quarantineCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const [action, id, ...extra] = positionals;
  if (action === undefined) throw new UsageError('say list, show ID or replay');
  if (extra.length > 0 || (action !== 'show' && id !== undefined))
    throw new UsageError(`unexpected argument '${extra[0] ?? id}'`);
  if (values.endpoint !== undefined && values.bucket === undefined)
    throw new UsageError('--endpoint needs --bucket');
  const layout = localLayout(values['data-dir'], io);
  if (values.bucket === undefined && !existsSync(layout.dataDir)) {
    throw new UsageError(`no data folder at ${layout.dataDir}: run 'telemetry run' first or pass --data-dir`);
  }
  const bucket = values.bucket ? await openBucketLayout(values.bucket, values.endpoint, io.env) : undefined;
  try {
    return await quarantineAction(
      action,
      id,
      bucket ? { ...layout, ...bucket } : { ...layout, store: new FsObjectStore(layout.dataDir) },
      values,
      io,
    );
  } finally {
    bucket?.store.client.destroy();
  }
};

/** list, show or replay over the data folder's or a bucket's quarantine (`target`: the store and its prefixes). */
async function quarantineAction(
  action: string,
  id: string | undefined,
  target: LocalLayout & { readonly store: ObjectStore },
  values: { readonly json: boolean; readonly 'dry-run': boolean; readonly wait: boolean },
  io: CliIO,
): Promise<number> {
  const { store, ...layout } = target;
  const out = (value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

  if (action === 'list') {
    const entries: QuarantineEntry[] = [];
    for await (const e of quarantineEntries(store, layout.quarantinePrefix)) entries.push(e);
    if (values.json) out(entries.map((e) => asJson(e, false)));
    else {
      io.stdout.write(`telemetry quarantine: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}\n`);
      for (const e of entries) {
        io.stdout.write(`${e.id}  ${isoSeconds(e.at)}  ${where(e)}\n    ${e.reason}\n`);
      }
    }
    return 0;
  }
  if (action === 'show') {
    if (id === undefined) throw new UsageError('show needs an entry id (see telemetry quarantine list)');
    if (id.includes('..') || id.startsWith('/')) throw new UsageError(`not a quarantine id: '${id}'`);
    const entry = await findQuarantineEntry(store, layout.quarantinePrefix, id);
    if (!entry) {
      io.stderr.write(`telemetry quarantine: no entry '${id}' (see telemetry quarantine list)\n`);
      return 1;
    }
    if (values.json) out(asJson(entry, true));
    else {
      const text = originalText(entry);
      io.stdout.write(
        `id       ${entry.id}\nreason   ${entry.reason}\nsource   ${where(entry)}\nwhen     ${isoSeconds(entry.at)}\n` +
          `entry    ${store.describe(entry.key)}\n${text === undefined ? '' : `record\n${text}\n`}`,
      );
    }
    return 0;
  }
  if (action !== 'replay') throw new UsageError(`unknown action '${action}' (expected list, show or replay)`);

  // The data folder's replay loads into its DuckDB file itself; a bucket's hands its raw objects to the process
  // function (or `telemetry process --bucket`), which loads under the single-writer lease.
  const loadsHere = !values['dry-run'] && !(store instanceof S3ObjectStore);
  const release = loadsHere
    ? await lockDataDir(layout.dataDir, 'quarantine replay', { wait: values.wait, signal: io.signal })
    : () => undefined;
  let sink: TableSink | undefined;
  try {
    if (loadsHere) sink = await openSink('duckdb', { warehouse: layout.warehouse });
    const summary = await quarantineReplay(
      { store, ...(sink ? { sink } : {}) },
      { ...layout, dryRun: values['dry-run'], shouldStop: () => io.signal?.aborted === true },
    );
    if (values.json) out(summary);
    else {
      const kept = Object.entries(summary.keptByReason)
        .map(([r, n]) => `\n    ${n} ${r}`)
        .join('');
      io.stdout.write(
        `telemetry quarantine replay${summary.dryRun ? ' (dry run: nothing written)' : ''}: ${summary.entries} entr${summary.entries === 1 ? 'y' : 'ies'}\n` +
          `  ${summary.dryRun ? 'would replay' : 'replayed'} ${summary.replayed}, removed from quarantine ${summary.removed}\n` +
          `  kept ${summary.kept}${summary.reasonsUpdated ? ` (${summary.reasonsUpdated} with a new reason: ${summary.dryRun ? 'would be ' : ''}updated)` : ''}${kept}\n` +
          (summary.process.records > 0 ? `  ${formatProcessSummary(summary.process)}\n` : '') +
          (summary.replayed > 0 && !summary.loaded && !summary.dryRun
            ? `  ${summary.written} raw object(s) written to ${store.describe(layout.rawPrefix + QUARANTINE_REPLAY_FOLDER)} (one already there is not written again): the process function loads them (or: telemetry process --bucket)\n`
            : ''),
      );
    }
    return reconciles(summary.process) ? 0 : 1;
  } finally {
    await sink?.close();
    release();
  }
}
