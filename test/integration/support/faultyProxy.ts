import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What happens to the n-th request (1-based) passing through the proxy. */
export type Fault = 'pass' | 'fail-503' | 'lose-response' | 'cut-body';

export interface FaultyProxy {
  readonly endpoint: string;
  /** Requests seen, and how many of them were failed. */
  readonly stats: { requests: number; failed: number };
  /** Replaces the fault policy (e.g. to heal the "network" at the end of a test). */
  policy: (n: number, method: string, path: string) => Fault;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the S3 server that fails chosen requests: `fail-503` answers 503 SlowDown
 * without forwarding (nothing happened), `lose-response` forwards the request and then drops the connection
 * (it DID happen, the client just never hears so: the nasty case for at-least-once), `cut-body` sends the
 * headers and half the body, then drops the connection.
 */
export async function startFaultyProxy(target: string, policy: FaultyProxy['policy']): Promise<FaultyProxy> {
  const upstream = new URL(target);
  const stats = { requests: 0, failed: 0 };
  const proxy: FaultyProxy = {
    endpoint: '',
    stats,
    policy,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    stats.requests += 1;
    const fault = proxy.policy(stats.requests, req.method ?? 'GET', req.url ?? '/');
    if (fault === 'fail-503') {
      stats.failed += 1;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>');
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        if (fault === 'lose-response') {
          stats.failed += 1;
          upstreamRes.resume();
          upstreamRes.on('end', () => res.socket?.destroy());
          return;
        }
        if (fault === 'cut-body') {
          stats.failed += 1;
          const chunks: Buffer[] = [];
          upstreamRes.on('data', (c: Buffer) => chunks.push(c));
          upstreamRes.on('end', () => {
            const body = Buffer.concat(chunks);
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
          });
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(proxy, { endpoint: `http://127.0.0.1:${port}` });
}
