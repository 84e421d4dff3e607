import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { startS3Server } from '../../src/dev/startS3Server.js';
import { readFixture } from '../support/fixtures.js';

const run = promisify(execFile);
/** Lambda runs nodejs24.x; CI runs this suite on Node 24. Older Node cannot stand in for it. */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** A DynamoDB stream event as Lambda delivers it: the stored-item fixture as INSERT, MODIFY and REMOVE. */
function streamEvent(): unknown {
  const item = readFixture('seed/dynamodb-item-example.json') as Record<string, unknown>;
  const arn =
    'arn:aws:dynamodb:eu-west-1:111111111111:table/chargeminder-car-telemetry/stream/2025-01-01T00:00:00.000';
  const keys = { event_id: item.event_id };
  const record = (eventName: string, seq: number, images: Record<string, unknown>) => ({
    eventID: `e${seq}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN: arn,
    dynamodb: {
      ApproximateCreationDateTime: 1764100800,
      Keys: keys,
      SequenceNumber: String(100 + seq),
      SizeBytes: 1000,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...images,
    },
  });
  return {
    Records: [
      record('INSERT', 1, { NewImage: item }),
      record('MODIFY', 2, { NewImage: item, OldImage: item }),
      record('REMOVE', 3, { OldImage: item }),
    ],
  };
}

test('`cdk synth` (what `npm run synth` runs) passes cdk-nag and CloudFormation validation and bundles the real handlers', {
  timeout: 240_000,
}, async () => {
  // Prepare: a private output directory, so a developer's cdk.out is left alone.
  const outdir = mkdtempSync(join(tmpdir(), 'telemetry-synth-'));
  const loadDir = mkdtempSync(join(tmpdir(), 'telemetry-bundle-load-'));
  try {
    // Act: the CLI with the project's cdk.json (notices and telemetry off), as a user runs it.
    await run(
      'npx',
      ['cdk', 'synth', '--no-notices', '--no-version-reporting', '--quiet', '--output', outdir],
      {
        env: { ...process.env, TELEMETRY_DEPLOY_CONFIG: '' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );

    // Assess: one template with the three functions; each bundle is one self-contained ESM file.
    const template = JSON.parse(
      readFileSync(join(outdir, 'ChargeMinderTelemetry.template.json'), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties?: { FunctionName?: string } }>;
    };
    const functions = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.FunctionName)
      .sort();
    expect(functions).toEqual([
      'chargeminder-telemetry-capture',
      'chargeminder-telemetry-process',
      'chargeminder-telemetry-trigger',
    ]);
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(3);
    for (const asset of assets) {
      const code = readFileSync(join(outdir, asset, 'index.mjs'), 'utf8');
      expect(code, asset).not.toContain('@duckdb/node-api');
      // Loaded away from node_modules, as Lambda loads it; outside Lambda the module builds nothing at import.
      const copy = join(loadDir, `${asset}.mjs`);
      copyFileSync(join(outdir, asset, 'index.mjs'), copy);
      const probe = `const m = await import(${JSON.stringify(pathToFileURL(copy).href)}); console.log(typeof m.handler);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: loadDir });
      expect(stdout.trim(), asset).toBe('function');
    }

    // Invoke the capture bundle, alone in a folder, as Lambda would (cold start from env, then one event).
    if (NODE_MAJOR < 22) {
      console.warn(
        `capture bundle not invoked: Node ${process.versions.node} < 22 cannot stand in for nodejs24.x`,
      );
      return;
    }
    const capture = assets.find((a) =>
      readFileSync(join(outdir, a, 'index.mjs'), 'utf8').includes('captured batch'),
    );
    expect(capture).toBeDefined();
    const s3 = await startS3Server({ directory: join(loadDir, 's3'), buckets: ['bundle-check'] });
    try {
      const copy = join(loadDir, `${capture}.mjs`);
      const invoke =
        `const m = await import(${JSON.stringify(pathToFileURL(copy).href)});` +
        `const r = await m.handler(JSON.parse(process.env.EVENT), { awsRequestId: 'req-1', functionName: 'capture' });` +
        'console.log(JSON.stringify(r));';
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', invoke], {
        cwd: loadDir,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_LAMBDA_FUNCTION_NAME: 'chargeminder-telemetry-capture',
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
          TELEMETRY_BUCKET: 'bundle-check',
          TELEMETRY_RAW_PREFIX: 'telemetry/',
          TELEMETRY_S3_ENDPOINT: s3.endpoint,
          EVENT: JSON.stringify(streamEvent()),
        },
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({ batchItemFailures: [] });
      const list = await fetch(`${s3.endpoint}/bundle-check?list-type=2&prefix=telemetry/`).then((r) =>
        r.text(),
      );
      expect(list).toMatch(/<Key>telemetry\/[^<]+\.ndjson\.gz<\/Key>/);
    } finally {
      await s3.stop();
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(loadDir, { recursive: true, force: true });
  }
});
