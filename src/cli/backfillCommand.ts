import { parseArgs } from 'node:util';
import { DuckDbSink } from '../adapters/duckdb/DuckDbSink.js';
import { FsObjectStore } from '../adapters/fs/FsObjectStore.js';
import { scanTable } from '../backfill/scanTable.js';
import { DEV_TABLE, LOCAL_CREDENTIALS, LOCAL_REGION } from '../config/localAws.js';
import { reconciles } from '../process/ProcessSummary.js';
import { processPending } from '../process/processPending.js';
import { type Command, UsageError, wholeNumberOption } from './CliIO.js';
import { localLayout } from './localLayout.js';
import { formatProcessSummary } from './processCommand.js';
import { progressReporter } from './progress.js';

const HELP = `Usage: telemetry backfill [--table T] [--endpoint URL] [--segments N] [--max-rcu R] [--data-dir DIR] [--json]

Loads the items the DynamoDB table already holds (history the 24-hour stream no longer carries): a parallel Scan
writes raw objects, then the normal process + load stages run. Backfilled versions never replace a version that came
through the stream, nor resurrect an event the stream deleted (docs/operations.md, "Backfill"). Interrupted? Run the
same command again: each segment resumes from its checkpoint (DIR/backfill/scan/<table>/). A finished backfill
re-run reads nothing; delete that folder to take a fresh snapshot.

Options:
  --table T         DynamoDB table (default ${DEV_TABLE})
  --endpoint URL    DynamoDB endpoint (e.g. DynamoDB Local from \`telemetry dev\`); default: AWS, region and
                    credentials from the AWS SDK's default chain
  --segments N      parallel Scan segments (default 4)
  --max-rcu R       read capacity units per second for the whole scan (measured with ReturnConsumedCapacity)
  --page-items N    items per Scan page and raw object (default 500)
  --data-dir DIR    data folder (default $TELEMETRY_DATA_DIR, else ./data)
  --json            print the summary as JSON
`;

export const backfillCommand: Command = async (args, io) => {
  const { values } = parseArgs({
    args,
    options: {
      table: { type: 'string', default: DEV_TABLE },
      endpoint: { type: 'string' },
      segments: { type: 'string', default: '4' },
      'max-rcu': { type: 'string' },
      'page-items': { type: 'string', default: '500' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const segments = wholeNumberOption('segments', values.segments, 1);
  const pageItems = wholeNumberOption('page-items', values['page-items'], 1);
  const maxRcu =
    values['max-rcu'] === undefined ? undefined : wholeNumberOption('max-rcu', values['max-rcu'], 1);
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(values.table))
    throw new UsageError(`not a DynamoDB table name: '${values.table}'`);
  const layout = localLayout(values['data-dir'], io);
  const store = new FsObjectStore(layout.dataDir);
  const { DescribeTableCommand, DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const local =
    values.endpoint !== undefined && /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(values.endpoint);
  const ddb = new DynamoDBClient({
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    ...(local ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const progress = progressReporter(io.stderr, { label: 'scanning', unit: 'items' });
  try {
    // DynamoDB's item count is refreshed about every six hours: good enough for an ETA, never for a check.
    const described = await ddb.send(new DescribeTableCommand({ TableName: values.table }));
    const total = described.Table?.ItemCount || undefined;
    const scan = await scanTable(ddb, store, {
      table: values.table,
      segments,
      pageItems,
      ...(maxRcu ? { maxRcu } : {}),
      rawPrefix: layout.rawPrefix,
      checkpointPrefix: `backfill/scan/${values.table}/`,
      shouldStop: () => io.signal?.aborted === true,
      onPage: (p) => progress.update(p.items, total),
    });
    const sink = await DuckDbSink.open(layout.warehouse);
    let processed: Awaited<ReturnType<typeof processPending>>;
    try {
      processed = await processPending(
        { store, sink },
        { ...layout, shouldStop: () => io.signal?.aborted === true },
      );
    } finally {
      await sink.close();
    }
    progress.done();
    const summary = { table: values.table, scan, process: processed, reconciled: reconciles(processed) };
    io.stdout.write(
      values.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `telemetry backfill: ${values.table} -> ${layout.warehouse}\n  scanned   ${scan.items} items in ${scan.pages} page(s), ${scan.segmentsDone}/${segments} segments done${scan.resumed ? ' (resumed)' : ''}, ${scan.consumedRcu} RCU\n  processed ${formatProcessSummary(processed)}\n`,
    );
    return scan.complete && summary.reconciled ? 0 : 1;
  } finally {
    ddb.destroy();
  }
};
