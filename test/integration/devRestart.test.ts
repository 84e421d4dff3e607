import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/adapters/duckdb/DuckDbSink.js';
import { S3ObjectStore } from '../../src/adapters/s3/S3ObjectStore.js';
import { padSequence } from '../../src/core/model/RawRecord.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoDb, localStreams } from '../../src/dev/localAws.js';
import type { DevEndpoints } from '../../src/dev/runDevStack.js';
import { cli, tempDir } from '../support/cli.js';
import { CLOUD, expectedState, listKeys, tableState } from './support/localStack.js';

interface Dev {
  readonly child: ChildProcess;
  /** Resolves on the first output line that matches (lines are events: no polling). */
  line(pattern: RegExp): Promise<string>;
  onLine(listener: (line: string) => void): void;
  readonly exited: Promise<number | null>;
}

/** `telemetry dev` as a real process, so that SIGKILL really kills it. */
function startDev(dataDir: string, env: NodeJS.ProcessEnv = {}): Dev {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      resolve('src/cli/main.ts'),
      'dev',
      '--data-dir',
      dataDir,
      '--process-every',
      '0.2',
      '--batch-size',
      '5',
      '--batching-window',
      '0',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    },
  );
  const listeners: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    for (const f of [...listeners]) f(l);
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    onLine: (f) => listeners.push(f),
    line: (pattern) =>
      new Promise((resolveLine, reject) => {
        const f = (l: string) => {
          if (!pattern.test(l)) return;
          listeners.splice(listeners.indexOf(f), 1);
          resolveLine(l);
        };
        listeners.push(f);
        exited.then((code) => reject(new Error(`telemetry dev exited (${code}) before printing ${pattern}`)));
      }),
  };
}

/** Waits until a process that is not our child has gone (no exit event exists for it). */
async function gone(pid: number | undefined): Promise<void> {
  if (!pid) return;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every record in the stream now: how many, and the last sequence number. */
async function streamContents(endpoint: string, streamArn: string) {
  const streams = localStreams(endpoint);
  try {
    let count = 0;
    let last = '0';
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription
      ?.Shards;
    for (const shard of shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const r = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        for (const record of r.Records ?? []) {
          count += 1;
          last = record.dynamodb?.SequenceNumber ?? last;
        }
        if ((r.Records ?? []).length === 0) break;
        iterator = r.NextShardIterator;
      }
    }
    return { count, last: padSequence(last) };
  } finally {
    streams.destroy();
  }
}

describe('telemetry dev killed (SIGKILL) mid-stream and started again', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('continues from its checkpoint with its tables and objects intact: no loss, no duplicates', async () => {
    const data = tempDir();
    cleanups.push(data.cleanup);
    const endpoints = () =>
      JSON.parse(readFileSync(join(data.path, 'dev', 'endpoints.json'), 'utf8')) as DevEndpoints;

    // The first run dies (SIGKILL) right after its third capture wrote an object, before that batch was
    // checkpointed; DynamoDB Local and the S3 server go down with it, even in the middle of `dev put`.
    const first = startDev(data.path, { TELEMETRY_FAULT: 'after-capture-object:3' });
    cleanups.push(() => first.child.kill('SIGKILL'));
    await first.line(/ready:/);
    const before = endpoints();
    const interrupted = cli(['dev', 'put', '--count', '60', '--seed', '21', '--data-dir', data.path]);
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    await interrupted; // it may or may not have finished before the servers went away
    await Promise.all([gone(before.dynamoDbPid), gone(before.s3Pid)]); // the servers follow (stdin closed)
    const checkpoint = JSON.parse(readFileSync(join(data.path, 'dev', 'stream-checkpoint.json'), 'utf8'));
    const savedAt = Object.values(
      checkpoint[before.streamArn] as Record<string, { sequenceNumber: string }>,
    )[0];

    const second = startDev(data.path);
    cleanups.push(() => second.child.kill('SIGKILL'));
    await second.line(/ready:/);
    const after = endpoints();
    expect(after.streamArn).toBe(before.streamArn); // same table, same stream: DynamoDB Local kept them
    const more = await cli(['dev', 'put', '--count', '20', '--seed', '22', '--data-dir', data.path]);
    expect(more.code).toBe(0);
    const stream = await streamContents(after.dynamodb, after.streamArn);
    expect(padSequence(savedAt?.sequenceNumber ?? '0') < stream.last).toBe(true); // it was killed mid-stream

    const s3 = new S3Client({
      endpoint: after.s3,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const store = new S3ObjectStore({ bucket: after.bucket, client: s3 });
    const ddb = localDynamoDb(after.dynamodb);
    cleanups.push(() => {
      s3.destroy();
      ddb.destroy();
    });
    // Done when the object holding the stream's last record has been archived and nothing is pending.
    await new Promise<void>((done) => {
      let checking = false;
      second.onLine(async (line) => {
        if (checking || !line.includes('processed:')) return;
        checking = true;
        const archived = await listKeys(store, CLOUD.archivePrefix);
        const pending = await listKeys(store, CLOUD.rawPrefix);
        checking = false;
        if (pending.length === 0 && archived.some((k) => k.endsWith(`-${stream.last}.ndjson.gz`))) done();
      });
    });
    const expected = await expectedState({ ddb }, after.table);
    second.child.kill('SIGINT'); // Ctrl-C
    expect(await second.exited).toBe(0);
    await Promise.all([gone(after.dynamoDbPid), gone(after.s3Pid)]);

    const sink = await DuckDbSink.open(join(data.path, 'warehouse.duckdb'));
    try {
      const actual = await tableState(sink);
      expect(actual.eventIds).toEqual(expected.eventIds);
      expect(actual.checksum).toBe(expected.checksum);
    } finally {
      await sink.close();
    }
  });
});
