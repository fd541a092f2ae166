import { createHash, timingSafeEqual } from 'node:crypto';
import { type CacheLink, createSignalledCache } from '../signalled-cache.ts';

/** A client's secrets as its owner keeps them, opened; `previous` counts until `previousExpiresAt`. */
export interface StoredSecrets<T> {
  current: string;
  previous: string | null;
  previousExpiresAt: Date | null;
  /** What a successful verification answers (e.g. the client's tenant). */
  data: T;
}

interface Digests<T> {
  current: Buffer;
  previous: Buffer | null;
  previousExpiresAt: number | null;
  data: T;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Client authentication without a database read and a decryption per token request: a client's
 * secrets are loaded once, kept as SHA-256 digests (never in clear), and compared in constant time.
 * Entries live `ttlMs` at most and are dropped at once by `forget` when the owner changes a secret
 * (locally, and on other nodes through the clients-changed signal). While `link` cannot hear those
 * signals, every verification reads the database (see createSignalledCache for why a rotated or
 * removed secret is never accepted from the cache).
 */
export function createSecretVerifier<T>(options: {
  load(clientId: string): Promise<StoredSecrets<T> | undefined>;
  now(): number;
  /** The signal bus that tells this node about changes made on others. */
  link: CacheLink;
  ttlMs?: number;
  maxEntries?: number;
}) {
  const cache = createSignalledCache<Digests<T> | undefined>({
    link: options.link,
    now: options.now,
    ttlMs: options.ttlMs ?? 60_000,
    maxEntries: options.maxEntries ?? 50_000,
  });

  async function loadDigests(clientId: string): Promise<Digests<T> | undefined> {
    const stored = await options.load(clientId);
    return (
      stored && {
        current: digest(stored.current),
        previous: stored.previous === null ? null : digest(stored.previous),
        previousExpiresAt: stored.previousExpiresAt?.getTime() ?? null,
        data: stored.data,
      }
    );
  }

  return {
    /** The client's data when `secret` is its current secret, or its previous one inside the grace period. */
    async verify(clientId: string, secret: string): Promise<T | undefined> {
      const presented = digest(typeof secret === 'string' ? secret : '');
      const secrets = await cache.get(clientId, () => loadDigests(clientId));
      if (!secrets) {
        timingSafeEqual(presented, presented);
        return undefined;
      }
      // Both comparisons always run, so timing does not tell which secret matched.
      const current = timingSafeEqual(presented, secrets.current);
      const previous = secrets.previous !== null && timingSafeEqual(presented, secrets.previous);
      const inGrace = secrets.previousExpiresAt !== null && secrets.previousExpiresAt > options.now();
      return current || (previous && inGrace) ? secrets.data : undefined;
    },
    forget: cache.forget,
    clear: cache.clear,
  };
}
