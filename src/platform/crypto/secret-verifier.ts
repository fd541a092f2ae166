import { createHash, timingSafeEqual } from 'node:crypto';

/** A client's secrets as its owner keeps them, opened; `previous` counts until `previousExpiresAt`. */
export interface StoredSecrets<T> {
  current: string;
  previous: string | null;
  previousExpiresAt: Date | null;
  /** What a successful verification answers (e.g. the client's tenant). */
  data: T;
}

interface Entry<T> {
  secrets:
    | { current: Buffer; previous: Buffer | null; previousExpiresAt: number | null; data: T }
    | undefined;
  loadedAt: number;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Client authentication without a database read and a decryption per token request: a client's
 * secrets are loaded once, kept as SHA-256 digests (never in clear), and compared in constant time.
 * Entries live `ttlMs` at most and are dropped at once by `forget` when the owner changes a secret
 * (locally, and on other nodes through the clients-changed signal).
 */
export function createSecretVerifier<T>(options: {
  load(clientId: string): Promise<StoredSecrets<T> | undefined>;
  now(): number;
  ttlMs?: number;
  maxEntries?: number;
}) {
  const ttl = options.ttlMs ?? 60_000;
  const max = options.maxEntries ?? 50_000;
  const cache = new Map<string, Entry<T>>();

  async function entryFor(clientId: string): Promise<Entry<T>> {
    const hit = cache.get(clientId);
    if (hit && options.now() - hit.loadedAt < ttl) return hit;
    const stored = await options.load(clientId);
    const entry: Entry<T> = {
      loadedAt: options.now(),
      secrets: stored && {
        current: digest(stored.current),
        previous: stored.previous === null ? null : digest(stored.previous),
        previousExpiresAt: stored.previousExpiresAt?.getTime() ?? null,
        data: stored.data,
      },
    };
    if (cache.size >= max) cache.clear();
    cache.set(clientId, entry);
    return entry;
  }

  return {
    /** The client's data when `secret` is its current secret, or its previous one inside the grace period. */
    async verify(clientId: string, secret: string): Promise<T | undefined> {
      const presented = digest(typeof secret === 'string' ? secret : '');
      const { secrets } = await entryFor(clientId);
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
    forget(clientId: string): void {
      cache.delete(clientId);
    },
    clear(): void {
      cache.clear();
    },
  };
}
