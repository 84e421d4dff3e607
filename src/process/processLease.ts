import type { LeaseStore } from '../ports/LeaseStore.js';

export type { LeaseStore, LeaseVersion } from '../ports/LeaseStore.js';

/** What a lease object holds. */
export interface LeaseRecord {
  readonly owner: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

/** How long a lease lasts: the process Lambda's 15-minute timeout, so a crashed holder's lease is taken over. */
export const LEASE_TTL_MS = 15 * 60_000;

/** Where the process stage's lease lives: beside staged batches, outside the expiring batch folders. */
export function leaseKey(stagedPrefix: string): string {
  return `${stagedPrefix}_leases/process.json`;
}

export type LeaseOutcome =
  | { readonly acquired: true; readonly release: () => Promise<void> }
  | { readonly acquired: false; readonly heldBy: LeaseRecord };

export interface AcquireOptions {
  readonly owner: string;
  /** Longer than any run (the Lambda timeout): a crashed holder's lease is taken over after this. */
  readonly ttlMs: number;
  readonly now?: () => number;
}

const encode = (r: LeaseRecord) => new TextEncoder().encode(JSON.stringify(r));

function decode(bytes: Uint8Array): LeaseRecord | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<LeaseRecord>;
    return typeof v.owner === 'string' && typeof v.expiresAt === 'number' && typeof v.acquiredAt === 'number'
      ? (v as LeaseRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The single-writer lease of the process stage: one object created with `If-None-Match: *`, so of two runs
 * started together exactly one creates it. An expired lease (its holder crashed or timed out) is taken over
 * with `If-Match` on the version read, so of two runs taking over, again only one wins. Release deletes the
 * object only while it is still this holder's version.
 *
 * @example
 * const lease = await acquireLease(store, leaseKey('staged/'), { owner: requestId, ttlMs: 900_000 });
 * if (!lease.acquired) return; // another run holds it
 * try { await work(); } finally { await lease.release(); }
 */
export async function acquireLease(
  store: LeaseStore,
  key: string,
  options: AcquireOptions,
): Promise<LeaseOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const record: LeaseRecord = {
    owner: options.owner,
    acquiredAt: started,
    expiresAt: started + options.ttlMs,
  };
  let etag = await store.putIf(key, encode(record), { ifNoneMatch: '*' });
  if (etag === false) {
    const current = await store.readVersion(key);
    // Gone between the two calls: the holder released it; one more creation attempt decides.
    if (current === undefined) etag = await store.putIf(key, encode(record), { ifNoneMatch: '*' });
    else {
      const held = decode(current.body);
      if (held !== undefined && held.expiresAt > started) return { acquired: false, heldBy: held };
      etag = await store.putIf(key, encode(record), { ifMatch: current.etag });
    }
    if (etag === false) {
      const winner = await store.readVersion(key);
      const heldBy = (winner && decode(winner.body)) ?? {
        owner: 'unknown',
        acquiredAt: started,
        expiresAt: started,
      };
      return { acquired: false, heldBy };
    }
  }
  const mine = etag;
  return {
    acquired: true,
    release: async () => {
      const current = await store.readVersion(key);
      if (current?.etag === mine) await store.delete(key);
    },
  };
}
