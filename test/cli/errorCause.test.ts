import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/errorCause.js';
import { TransientError } from '../../src/core/errors.js';
import { cli, tempDir } from '../support/cli.js';

/** A loopback port nobody listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('network errors say their cause', () => {
  it('a refused connection names host and port, however deep the cause chain', async () => {
    // Prepare: a real fetch failure, wrapped as the Databricks client wraps it after its retries
    const port = await closedPort();
    const failure = await fetch(`http://127.0.0.1:${port}/api/2.0/sql/statements`).catch((e: unknown) => e);
    const error = new TransientError(
      'Databricks POST /api/2.0/sql/statements: network error after 8 attempts',
      failure,
    );
    // Act
    const text = describeError(error);
    // Assess
    expect(text).toBe(
      `Databricks POST /api/2.0/sql/statements: network error after 8 attempts: connection refused by 127.0.0.1:${port} (nothing listens there)`,
    );
  });

  it('a DNS failure names the host; a TLS problem its code; anything else is left as it is', () => {
    // Prepare
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND dbc-x.cloud.databricks.com'), {
      code: 'ENOTFOUND',
      hostname: 'dbc-x.cloud.databricks.com',
    });
    const tls = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    // Act + Assess
    expect(describeError(new TypeError('fetch failed', { cause: dns }))).toBe(
      'fetch failed: DNS lookup failed: no such host dbc-x.cloud.databricks.com (check the host name)',
    );
    expect(describeError(new Error('request failed', { cause: tls }))).toBe(
      'request failed: TLS certificate problem (CERT_HAS_EXPIRED)',
    );
    expect(describeError(new Error('table not found'))).toBe('table not found');
  });

  it('through the CLI: telemetry process against a bucket endpoint nobody serves', async () => {
    // Prepare
    const port = await closedPort();
    const dir = tempDir();
    try {
      // Act
      const r = await cli([
        'process',
        '--bucket',
        'b',
        '--endpoint',
        `http://127.0.0.1:${port}`,
        '--data-dir',
        dir.path,
      ]);
      // Assess
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`connection refused by 127.0.0.1:${port}`);
    } finally {
      dir.cleanup();
    }
  });
});
