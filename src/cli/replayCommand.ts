import { parseArgs } from 'node:util';
import { S3ObjectStore } from '../adapters/s3/S3ObjectStore.js';
import { parseEnv } from '../config/parseEnv.js';
import { storageEnv } from '../config/storageConfig.js';
import {
  FAILED_BATCHES_PREFIX,
  REPLAYED_PREFIX,
  type ReplaySummary,
  replayFailedRecords,
} from '../replay/replayFailedRecords.js';
import { type Command, UsageError } from './CliIO.js';
import { cliS3Client } from './cliS3Client.js';

const HELP = `Usage: telemetry replay failed-records --bucket B --failed-bucket F [--endpoint URL] [--dry-run] [--json]

Turns the capture Lambda's on-failure objects (stream batches Lambda gave up on, each with its records) back into
raw objects under the data bucket's raw prefix, INSERT, MODIFY and REMOVE alike, exactly once: the raw key is the one
capture would have written (same stream, same sequence numbers), a batch whose raw object is already pending or
archived is not written again, and each replayed object moves to ${REPLAYED_PREFIX} in the failed-records bucket.
The next process run loads them. Objects that are not stream batches (the trigger's failed S3 events) are left alone.
Exit 1 when a stream batch cannot be replayed (for example one without its records): the summary says why.

Options:
  --bucket B          the data bucket (stack output DataBucket)
  --failed-bucket F   the failed-records bucket (stack output FailedRecordsBucket)
  --endpoint URL      S3-compatible endpoint (e.g. the one \`telemetry dev\` prints; default TELEMETRY_S3_ENDPOINT,
                      else AWS S3). Raw and archive prefixes follow TELEMETRY_RAW_PREFIX / _ARCHIVE_PREFIX when set
  --prefix P          which failed-records objects to read (default ${FAILED_BATCHES_PREFIX})
  --dry-run           say what would be replayed; write, move and delete nothing
  --json              print the summary as JSON
`;

/** One paragraph for people; the JSON form has every key. */
export function formatReplaySummary(s: ReplaySummary): string {
  const written = s.replayed.filter((r) => r.outcome === 'written').length;
  const verb = s.dryRun ? 'would replay' : 'replayed';
  const lines = [
    `${verb} ${s.replayed.length} of ${s.scanned} failed-records object(s): ${s.events.INSERT} INSERT, ${s.events.MODIFY} MODIFY, ${s.events.REMOVE} REMOVE` +
      `; ${written} raw object(s) ${s.dryRun ? 'to write' : 'written'}, ${s.replayed.length - written} already captured`,
  ];
  if (s.rejected) lines.push(`${s.rejected} record(s) capture cannot convert: process will quarantine them`);
  for (const r of s.replayed) lines.push(`  ${r.key} -> ${r.rawKey} (${r.records} records, ${r.outcome})`);
  if (s.foreign.length) lines.push(`${s.foreign.length} object(s) left alone (not stream batches)`);
  for (const p of s.problems) lines.push(`  NOT replayed: ${p.key}: ${p.reason}`);
  return `${lines.join('\n')}\n`;
}

export const replayCommand: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      bucket: { type: 'string' },
      'failed-bucket': { type: 'string' },
      endpoint: { type: 'string' },
      prefix: { type: 'string', default: FAILED_BATCHES_PREFIX },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'failed-records')
    throw new UsageError("expected 'telemetry replay failed-records'");
  if (!values.bucket || !values['failed-bucket'])
    throw new UsageError('--bucket and --failed-bucket are both needed');
  const cloud = parseEnv(storageEnv, { ...io.env, TELEMETRY_BUCKET: values.bucket }, 'storage');
  const endpoint = values.endpoint ?? cloud.TELEMETRY_S3_ENDPOINT;
  const client = await cliS3Client(endpoint, io.env);
  try {
    const summary = await replayFailedRecords(
      {
        failed: new S3ObjectStore({ bucket: values['failed-bucket'], client }),
        data: new S3ObjectStore({ bucket: values.bucket, client }),
      },
      {
        rawPrefix: cloud.TELEMETRY_RAW_PREFIX,
        archivePrefix: cloud.TELEMETRY_ARCHIVE_PREFIX,
        prefix: values.prefix,
        dryRun: values['dry-run'],
      },
    );
    io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatReplaySummary(summary));
    return summary.problems.length === 0 ? 0 : 1;
  } finally {
    client.destroy();
  }
};
