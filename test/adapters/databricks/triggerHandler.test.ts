import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Event } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabricksHttp } from '../../../src/adapters/databricks/DatabricksHttp.js';
import { DatabricksJobs } from '../../../src/adapters/databricks/DatabricksJobs.js';
import {
  makeTriggerHandler,
  RECENT_RUNS,
  triggerHandlerFromEnv,
} from '../../../src/adapters/databricks/triggerHandler.js';
import { idempotencyToken } from '../../../src/adapters/databricks/triggerLoadRuns.js';
import { TransientError } from '../../../src/core/errors.js';
import { DatabricksFake } from '../../support/databricksFake.js';

function s3Event(objects: { key: string; etag: string }[]): S3Event {
  return {
    Records: objects.map((o) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'telemetry-bucket' }, object: { key: o.key, eTag: o.etag } },
    })),
  } as unknown as S3Event;
}

const manifest = (id: string) => `staged/batch-${id}/manifest.json`;
let fake: DatabricksFake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function startFakeWithJob() {
  fake = await new DatabricksFake().start();
  fake.jobs.set(7, { job_id: 7, created_time: 0, settings: { name: 'telemetry-load' } });
  const secrets: string[] = [];
  const handler = triggerHandlerFromEnv(
    {
      TELEMETRY_DATABRICKS_HOST: fake.host,
      TELEMETRY_DATABRICKS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:databricks',
    },
    async (arn) => {
      secrets.push(arn);
      return JSON.stringify({ token: fake?.token });
    },
  );
  return { fake, handler, secrets };
}

describe('trigger Lambda', () => {
  it('starts one run per manifest for duplicate and bursty S3 events', async () => {
    const { fake, handler, secrets } = await startFakeWithJob();
    const burst = Array.from({ length: 20 }, (_, i) => ({
      key: manifest(`b${i % 5}`),
      etag: `"etag-${i % 5}"`,
    }));
    await handler(s3Event(burst));
    await handler(s3Event(burst.slice(0, 7))); // S3 delivers again
    const summary = await handler(
      s3Event([
        { key: 'staged/batch-b1/part-00000.parquet', etag: '"p"' },
        { key: 'staged/columns.json', etag: '"c"' },
        { key: manifest('b1'), etag: '"etag-1"' },
      ]),
    );
    expect(summary.ignored).toBe(2);
    expect(fake.runs.size).toBe(5);
    expect(new Set([...fake.runs.values()].map((r) => r.idempotency_token))).toEqual(
      new Set(
        [0, 1, 2, 3, 4].map((i) =>
          idempotencyToken({ bucket: 'telemetry-bucket', key: manifest(`b${i}`), etag: `etag-${i}` }),
        ),
      ),
    );
    expect(fake.calls(/run-now$/).length).toBe(5 + 5 + 1);
    // Each run is given its batch (job parameters), the same values direct mode binds.
    expect(fake.calls(/run-now$/)[0]?.body).toMatchObject({
      job_parameters: {
        batch_id: 'b0',
        rows_path: 's3://telemetry-bucket/staged/batch-b0/part-*.parquet',
        deletes_path: 's3://telemetry-bucket/staged/batch-b0/deletes-00000.parquet',
        manifest_path: 's3://telemetry-bucket/staged/batch-b0/manifest.json',
      },
    });
    expect(secrets).toHaveLength(1); // once per cold start
    expect(fake.calls(/jobs\/list$/)).toHaveLength(1);
  });

  it('a re-staged manifest (new ETag) starts a new run; keys are URL-decoded', async () => {
    const { fake, handler } = await startFakeWithJob();
    await handler(s3Event([{ key: manifest('b1'), etag: '"one"' }]));
    await handler(s3Event([{ key: manifest('b1'), etag: '"two"' }]));
    const s = await handler(s3Event([{ key: 'staged/batch-b%32/manifest.json', etag: '"x"' }]));
    expect(s.started.map((r) => r.key)).toEqual([manifest('b2')]);
    expect(fake.runs.size).toBe(3);
  });

  it('fails the invocation (so Lambda retries, then the failure destination) when a run cannot start', async () => {
    const errors: unknown[] = [];
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const handler = makeTriggerHandler({
      logger,
      trigger: async () => ({
        start: async (token) => {
          if (token.length !== 64) throw new Error('bad token');
          throw new Error('HTTP 503');
        },
      }),
    });
    await handler(s3Event([{ key: manifest('b1'), etag: '"e"' }])).catch((e: unknown) => errors.push(e));
    expect(errors[0]).toBeInstanceOf(TransientError);
    expect(String(errors[0])).toMatch(/could not start the load job for 1 manifest.*HTTP 503/);
  });

  it('names the missing job in plain words', async () => {
    fake = await new DatabricksFake().start();
    const handler = triggerHandlerFromEnv(
      { TELEMETRY_DATABRICKS_HOST: fake.host, TELEMETRY_DATABRICKS_SECRET_ARN: 'arn:x' },
      async () => JSON.stringify({ token: fake?.token }),
    );
    await expect(handler(s3Event([{ key: manifest('b1'), etag: '"e"' }]))).rejects.toThrow(
      /no Databricks job named 'telemetry-load': run 'telemetry deploy databricks' first/,
    );
  });

  it('a load job that fails is visible in AWS: LoadRunFailures counts the failed recent runs and the log names them', async () => {
    // Prepare: the handler on the fake's Jobs API with metrics and log lines recorded.
    fake = await new DatabricksFake().start();
    const f = fake;
    f.jobs.set(7, { job_id: 7, created_time: 0, settings: { name: 'telemetry-load' } });
    const jobs = new DatabricksJobs(
      new DatabricksHttp({
        host: f.host,
        credentials: { kind: 'pat', token: f.token },
        maxAttempts: 2,
        sleep: async () => undefined, // retries without waiting
      }),
    );
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'trigger' });
    const published: Record<string, number>[] = [];
    let added: Record<string, number> = {};
    vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added[name] = value;
      return metrics;
    });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      published.push(added);
      added = {};
      return metrics;
    });
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const errors: unknown[][] = [];
    vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args);
    });
    const handler = makeTriggerHandler({
      logger,
      metrics,
      trigger: async () => ({ start: (token, parameters) => jobs.runNow(7, token, parameters) }),
      recentRuns: () => jobs.listCompletedRuns(7, RECENT_RUNS),
    });
    const runFor = (id: string) =>
      [...f.runs.values()].find((r) => (r.job_parameters as { batch_id?: string }).batch_id === id)?.run_id ??
      0;

    // Act: four batches; their runs end SUCCESS, FAILED, TIMEDOUT, INTERNAL_ERROR; then the next manifest arrives.
    await handler(s3Event(['b1', 'b2', 'b3', 'b4'].map((id) => ({ key: manifest(id), etag: `"${id}"` }))));
    f.endRun(runFor('b1'), 'SUCCESS', '', 1_000);
    f.endRun(runFor('b2'), 'FAILED', '[DELTA_SCHEMA_CHANGED] boom', 2_000);
    f.endRun(runFor('b3'), 'TIMEDOUT', 'timed out', 3_000);
    f.endRun(runFor('b4'), 'INTERNAL_ERROR', 'cluster lost', 4_000);
    await handler(s3Event([{ key: manifest('b5'), etag: '"b5"' }]));
    await handler(s3Event([{ key: manifest('b5'), etag: '"b5"' }])); // the same event again: same gauge

    // Assess: no run had ended at the first check; then 3 of 4 failed, and a repeat check counts them once.
    expect(published.map((p) => p.LoadRunFailures)).toEqual([0, 3, 3]);
    expect(fake.calls(/runs\/list$/)).toHaveLength(3);
    expect(errors[0]).toEqual([
      'load runs failed',
      {
        failed: 3,
        of: 4,
        runs: [
          { runId: runFor('b4'), state: 'INTERNAL_ERROR', message: 'cluster lost' },
          { runId: runFor('b3'), state: 'TIMEDOUT', message: 'timed out' },
          { runId: runFor('b2'), state: 'FAILED', message: '[DELTA_SCHEMA_CHANGED] boom' },
        ],
      },
    ]);

    // Act: the failed runs are repaired (they end SUCCESS later); the Jobs API then has an outage.
    for (const id of ['b2', 'b3', 'b4']) f.endRun(runFor(id), 'SUCCESS', '', 5_000);
    await handler(s3Event([{ key: manifest('b6'), etag: '"b6"' }]));
    f.faults.push({ path: /runs\/list$/, status: 503, count: 2 });
    const during = await handler(s3Event([{ key: manifest('b7'), etag: '"b7"' }]));

    // Assess: the gauge falls back to 0; a failed check is no failed invocation and publishes no guess.
    expect(published.at(-2)?.LoadRunFailures).toBe(0);
    expect(during.started).toHaveLength(1);
    expect(published.at(-1)).not.toHaveProperty('LoadRunFailures');
  });
});
