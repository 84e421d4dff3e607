import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type LoopbackServer, loopbackServer } from './childProcess.js';

export interface S3ServerOptions {
  /** Where the server keeps buckets and objects. */
  readonly directory: string;
  /** Buckets to create at start. */
  readonly buckets?: readonly string[];
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export type RunningS3Server = LoopbackServer;

/**
 * The child's program: s3rver on 127.0.0.1. It runs in its own Node process because s3rver encrypts listing
 * continuation tokens with DES, which Node 20 (OpenSSL 3) only allows with `--openssl-legacy-provider`.
 * It exits when its parent goes away (stdin closes), so a crashed CLI or test never leaves it behind.
 */
const CHILD = `
const [url, json] = process.argv.slice(1);
const { default: S3rver } = await import(url);
const o = JSON.parse(json);
const server = new S3rver({ address: '127.0.0.1', port: o.port, silent: true, directory: o.directory,
  configureBuckets: o.buckets.map((name) => ({ name, configs: [] })) });
const address = await server.run();
process.stdout.write('S3RVER_LISTENING ' + address.port + '\\n');
const stop = async () => { try { await server.close(); } finally { process.exit(0); } };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
`;

/**
 * Starts an S3-compatible server (s3rver) on 127.0.0.1 in a child process.
 *
 * @example
 * const s3 = await startS3Server({ directory: './data/s3', buckets: ['telemetry'] });
 * const store = new S3ObjectStore({ bucket: 'telemetry', endpoint: s3.endpoint });
 * await s3.stop();
 */
export async function startS3Server(options: S3ServerOptions): Promise<RunningS3Server> {
  mkdirSync(options.directory, { recursive: true });
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('s3rver')).href;
  const args = JSON.stringify({
    directory: options.directory,
    buckets: options.buckets ?? [],
    port: options.port ?? 0,
  });
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--input-type=module', '-e', CHILD, entry, args],
    // Own process group: Ctrl-C in a terminal reaches only `telemetry dev`, which then stops this in order.
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' }, detached: true },
  );
  return loopbackServer(child, /^S3RVER_LISTENING (\d+)$/, 'S3 server (s3rver)');
}
