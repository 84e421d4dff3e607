import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabricksHttp } from '../../src/adapters/databricks/DatabricksHttp.js';
import { StatementClient } from '../../src/adapters/databricks/StatementClient.js';
import { cli, tableContent, tempDir } from '../support/cli.js';
import { type RecordedRequest, serveFilesApi } from '../support/databricksFake.js';
import { acquireSparkEngine } from '../support/sparkEngine.js';

// README, "From a laptop: stage to a volume": `telemetry run --sink databricks --stage-volume /Volumes/...` uploads
// the staged Parquet through the Files API and the warehouse reads it from the volume with read_files. The workspace
// here is one host: the Files API of the Databricks fake in front of the local Spark + Delta engine (SQL), which
// maps /Volumes/ to the same folder (engine/spark/README.md, "Volumes").
const tmp = tempDir();
const schema = `run_volume_${process.pid}`;
const volume = `/Volumes/main/${schema}/staging`;
const volumesRoot = process.env.SPARK_ENGINE_VOLUMES_ROOT || '/tmp/spark-engine-volumes';
const volumeFolder = join(volumesRoot, 'main', schema, 'staging');
const fileCalls: RecordedRequest[] = [];
let engine: { host: string; token: string; warehouseId: string };
let release: () => Promise<void>;
let sql: StatementClient;
let workspace: Server;

/** The Files API here; every other call goes on to the Spark engine as it came. */
async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname.startsWith('/api/2.0/fs/')) {
    fileCalls.push({ method: req.method ?? 'GET', path: url.pathname, body: body.length });
    if (req.headers.authorization !== `Bearer ${engine.token}`) return void res.writeHead(401).end();
    return serveFilesApi(volumesRoot, req.method ?? 'GET', url, body, res);
  }
  const answer = await fetch(engine.host + url.pathname + url.search, {
    method: req.method ?? 'GET',
    headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
    ...(body.length ? { body } : {}),
  });
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  res.end(Buffer.from(await answer.arrayBuffer()));
}

beforeAll(async () => {
  ({ engine, release } = await acquireSparkEngine(inject('sparkEngine')));
  const http = new DatabricksHttp({ host: engine.host, credentials: { kind: 'pat', token: engine.token } });
  sql = new StatementClient(http, { warehouseId: engine.warehouseId, pollMinMs: 20, pollMaxMs: 200 });
  mkdirSync(volumeFolder, { recursive: true }); // CREATE VOLUME main.<schema>.staging
  workspace = createServer((req, res) => {
    route(req, res).catch((error: unknown) => res.writeHead(502).end(String(error)));
  });
  await new Promise<void>((done) => workspace.listen(0, '127.0.0.1', done));
}, 300_000);
afterAll(async () => {
  await sql?.execute({ sql: `DROP SCHEMA IF EXISTS \`main\`.\`${schema}\` CASCADE`, parameters: [] });
  await new Promise<void>((done) => (workspace ? workspace.close(() => done()) : done()));
  await release?.();
  rmSync(join(volumesRoot, 'main', schema), { recursive: true, force: true });
  tmp.cleanup();
});

describe('telemetry run --sink databricks --stage-volume (Files API + local Spark + Delta engine)', () => {
  it('stages to the volume, not the data folder, and loads the same events as a DuckDB run', async () => {
    // Prepare
    const port = (workspace.address() as AddressInfo).port;
    const env = {
      DATABRICKS_HOST: `http://127.0.0.1:${port}`,
      DATABRICKS_TOKEN: engine.token,
      DATABRICKS_WAREHOUSE_ID: engine.warehouseId,
      TELEMETRY_TABLE: `main.${schema}.car_telemetry_flattened`,
    };
    const args = ['run', '--events', '200', '--json'];
    // Act
    const delta = await cli(
      [...args, '--sink', 'databricks', '--stage-volume', `${volume}/`, '--data-dir', `${tmp.path}/dbx`],
      env,
    );
    const duck = await cli([...args, '--data-dir', `${tmp.path}/duck`], {});
    // Assess
    expect(delta.code, delta.stderr).toBe(0);
    expect(duck.code, duck.stderr).toBe(0);
    const counts = (out: string) => {
      const s = (JSON.parse(out) as { process: Record<string, number> }).process;
      return { records: s.records, inserted: s.inserted, quarantined: s.quarantined };
    };
    expect(counts(delta.stdout)).toEqual(counts(duck.stdout));
    expect(existsSync(`${tmp.path}/dbx/staged`)).toBe(false);
    const uploads = fileCalls.filter((c) => c.method === 'PUT').map((c) => c.path);
    expect(
      uploads.some((p) => p.startsWith(`/api/2.0/fs/files${volume}/staged/`) && p.endsWith('.parquet')),
    ).toBe(true);
    expect(readdirSync(join(volumeFolder, 'staged')).length).toBeGreaterThan(0);
    const loaded = await sql.execute({
      sql: `SELECT event_id FROM \`main\`.\`${schema}\`.\`car_telemetry_flattened\``,
      parameters: [],
    });
    const expected = (await tableContent(`${tmp.path}/duck/warehouse.duckdb`)).map((r) => String(r.event_id));
    expect(loaded.rows.map((r) => String(r[0])).sort()).toEqual(expected.sort());
  }, 600_000);
});
