import { errorMessage } from '../core/errors.js';

/** The fields Node's system errors (and undici's) carry. */
interface SystemErrorLike {
  readonly code?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One network failure in our words, or undefined for an error that is not one. */
function networkCause(e: SystemErrorLike): string | undefined {
  const code = typeof e.code === 'string' ? e.code : undefined;
  const where =
    typeof e.address === 'string' ? ` ${e.address}${e.port === undefined ? '' : `:${e.port}`}` : '';
  const host = typeof e.hostname === 'string' ? ` ${e.hostname}` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by${where || ' the server'} (nothing listens there)`;
    case 'ENOTFOUND':
      return `DNS lookup failed: no such host${host} (check the host name)`;
    case 'EAI_AGAIN':
      return `DNS lookup failed${host} (the DNS server did not answer: offline, VPN or proxy?)`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connection timed out${where} (firewall, VPN or proxy?)`;
    case 'ECONNRESET':
      return 'connection reset by the other side';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to${where || ' the host'} (offline or VPN?)`;
    default:
      return code && TLS_CODES.has(code) ? `TLS certificate problem (${code})` : undefined;
  }
}

/** Every error in the chain: causes, and the errors of an AggregateError (IPv6 and IPv4 attempts). */
function chain(error: unknown, depth = 0): SystemErrorLike[] {
  if (typeof error !== 'object' || error === null || depth > 8) return [];
  const e = error as SystemErrorLike;
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => chain(x, depth + 1)) : [];
  return [e, ...nested, ...chain(e.cause, depth + 1)];
}

/**
 * An error's message with the network cause said in words (`connection refused by 127.0.0.1:8080`, `DNS lookup
 * failed: no such host dbc-x.cloud.databricks.com`), found anywhere in its cause chain: "network error after 8
 * attempts" alone does not tell anyone what to fix.
 */
export function describeError(error: unknown): string {
  const top = errorMessage(error);
  const causes = [
    ...new Set(
      chain(error)
        .map(networkCause)
        .filter((c) => c !== undefined),
    ),
  ];
  return causes.length ? `${top}: ${causes.join('; ')}` : top;
}
