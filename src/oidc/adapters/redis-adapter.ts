import type { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import { epochSeconds } from './adapter-contract.ts';
import type { CacheKeys, CacheNamespace } from './cache-namespace.ts';
import { INVALIDATE, READ_TOKEN, REFILL, REVOKE_GRANT, runScript } from './redis-scripts.ts';
import type { RecordedArtefact } from './sql-record.ts';

/**
 * Where Canopy's own per-artefact Redis keys live under the configured prefix (e.g. `canopy:`): the
 * device-poll throttle's. The cached copies of artefacts live in `cacheKeys` (cache-namespace.ts).
 */
export function redisKeyLayout(prefix: string) {
  const root = `${prefix}oidc:`;
  return {
    artefact: (model: string, id: string) => `${root}${model}:${id}`,
  };
}

/** The cache's clocks (REL-3); see docs/decisions/0001-postgresql-is-the-record-redis-a-cache.md. */
export interface CacheTiming {
  /** From a write's start to its refill: a refill arriving later is refused. */
  writeWindowMs: number;
  /** How long a destroyed artefact, or a revoked grant, keeps every refill of it out. */
  tombstoneMs: number;
}

/**
 * Generous against a write's usual few milliseconds. The guards assume Redis's clock does not step
 * back by tens of seconds while a write is in flight, and that a SQL statement does not commit
 * minutes after its client gave up on it (a client that waits sees a late commit, and drops the copy).
 */
export const DEFAULT_CACHE_TIMING: CacheTiming = { writeWindowMs: 5_000, tombstoneMs: 60_000 };
/** A copy of an artefact that never expires is kept this long; a later read finds the record. */
const NO_EXPIRY_COPY_MS = 24 * 3_600_000;

/**
 * Tokens, whose ids the provider draws at random from one space (256 bits): an id held by one of
 * them is held by no other.
 */
const TOKEN_MODELS: readonly string[] = ['AccessToken', 'ClientCredentials', 'RefreshToken'];
/** What a cache lookup answers when the id is certainly not this model's. */
export const TAKEN = Symbol('taken by another kind of token');

function copyOf(payload: string | null, consumed: string | null): AdapterPayload | undefined {
  if (payload == null) return undefined;
  const parsed = JSON.parse(payload) as AdapterPayload;
  return consumed == null ? parsed : { ...parsed, consumed: Number(consumed) };
}

/** A write in flight: the namespace and token its invalidation used, and its deadline. */
export interface WriteTicket {
  keys: CacheKeys;
  token: string;
  /** Redis time (ms) after which its refill is refused: the write's start plus the write window. */
  deadline: number;
}

/**
 * The Redis side of the write-through adapter: copies of the record's artefacts, with TTLs,
 * guarded so that no copy ever lands that is older than the record or of something destroyed.
 */
export function createArtefactCache(deps: { redis: Redis; namespace: CacheNamespace; timing: CacheTiming }) {
  const { redis, namespace } = deps;
  const { writeWindowMs, tombstoneMs } = deps.timing;
  const margin = Math.max(200, writeWindowMs / 5);
  const holdMs = writeWindowMs + margin;
  let tokens = 0;

  async function load(key: string): Promise<AdapterPayload | undefined> {
    const [payload, consumed] = await redis.hmget(key, 'payload', 'consumed');
    return copyOf(payload ?? null, consumed ?? null);
  }

  /**
   * A token by id: its copy, or, when another kind of token holds that id, `TAKEN` — no row can
   * exist then, and the record need not be asked (introspection looks a value up as every kind).
   */
  async function loadToken(keys: CacheKeys, model: string, id: string) {
    const others = TOKEN_MODELS.filter((m) => m !== model).map((m) => keys.artefact(m, id));
    const found = await runScript(redis, READ_TOKEN, [keys.artefact(model, id), ...others], []);
    if (found === 1) return TAKEN;
    if (!Array.isArray(found)) return undefined;
    return copyOf(found[0] as string | null, found[1] as string | null);
  }

  async function loadVia(indexKey: string, keys: CacheKeys, model: string) {
    const id = await redis.get(indexKey);
    return id === null ? undefined : load(keys.artefact(model, id));
  }

  return {
    /**
     * The cached copy; undefined on a miss or while the namespace is unknown; `TAKEN` when the id
     * is another kind of token's. Redis errors reject.
     */
    async find(model: string, id: string): Promise<AdapterPayload | typeof TAKEN | undefined> {
      const keys = namespace.current();
      if (!keys) return undefined;
      return TOKEN_MODELS.includes(model) ? loadToken(keys, model, id) : load(keys.artefact(model, id));
    },
    async findByUid(model: string, uid: string) {
      const keys = namespace.current();
      const found = keys ? await loadVia(keys.uid(model, uid), keys, model) : undefined;
      return found?.uid === uid ? found : undefined;
    },
    async findByUserCode(model: string, userCode: string) {
      const keys = namespace.current();
      const found = keys ? await loadVia(keys.userCode(model, userCode), keys, model) : undefined;
      return found?.userCode === userCode ? found : undefined;
    },

    /**
     * Starts a write that replaces what may be cached: drops the copy and holds other refills off
     * until this one arrives. Rejects, changing nothing, when Redis cannot be reached.
     */
    async begin(model: string, id: string): Promise<WriteTicket> {
      const keys = await namespace.require();
      const startedAt = namespace.redisNow();
      const token = `${process.pid}.${++tokens}.${Math.random().toString(36).slice(2, 10)}`;
      await runScript(redis, INVALIDATE, [keys.artefact(model, id)], [token, '', holdMs]);
      return { keys, token, deadline: Math.floor(startedAt + writeWindowMs) };
    },

    /**
     * Starts the write of an artefact the provider writes once, under a new id: nothing can be
     * cached yet, so nothing is dropped. Undefined while the namespace is unknown (no refill then).
     */
    beginFirst(): WriteTicket | undefined {
      const keys = namespace.current();
      if (!keys) return undefined;
      const startedAt = namespace.redisNow();
      return { keys, token: '', deadline: Math.floor(startedAt + writeWindowMs) };
    },

    /** Whether the record's write ended so late that the ticket's hold may have lapsed meanwhile. */
    isLate(ticket: WriteTicket): boolean {
      return namespace.redisNow() > ticket.deadline - margin;
    },

    /** Drops the copy and keeps every version up to `version` out (after a late or unexpected write). */
    async invalidateUpTo(model: string, id: string, version: number): Promise<void> {
      const keys = await namespace.require();
      await runScript(redis, INVALIDATE, [keys.artefact(model, id)], ['', version, holdMs]);
    },

    /**
     * Offers the record's row as the cached copy; true when it landed. Nothing is sent when the
     * namespace changed since the write began (another server, or one not identified yet).
     */
    async refill(ticket: WriteTicket, row: RecordedArtefact, now: Date): Promise<boolean> {
      const { keys } = ticket;
      if (namespace.current()?.root !== keys.root) return false;
      const ttlMs = row.expiresAt ? row.expiresAt.getTime() - now.getTime() : NO_EXPIRY_COPY_MS;
      if (ttlMs <= 0) return false;
      const landed = await runScript(
        redis,
        REFILL,
        [keys.artefact(row.model, row.id), keys.epoch],
        [
          ticket.token,
          ticket.deadline,
          row.version,
          holdMs,
          holdMs,
          row.id,
          row.payloadJson,
          row.consumedAt ? epochSeconds(row.consumedAt) : '',
          Math.ceil(ttlMs),
          row.uid ? keys.uid(row.model, row.uid) : '',
          row.userCode ? keys.userCode(row.model, row.userCode) : '',
          row.grantId ? keys.grant(row.grantId) : '',
          row.grantId ? keys.grantRevoked(row.grantId) : '',
        ],
      );
      return landed === 1;
    },

    /** Drops the copy and keeps every refill of it out for the tombstone's time; returns when it began. */
    async destroy(model: string, id: string): Promise<number> {
      const keys = await namespace.require();
      const at = namespace.redisNow();
      await runScript(redis, INVALIDATE, [keys.artefact(model, id)], ['', 'inf', tombstoneMs]);
      return at;
    },

    /** Destroys the copies issued under the grant, and keeps any more out for the tombstone's time. */
    async revokeGrant(grantId: string): Promise<number> {
      const keys = await namespace.require();
      const at = namespace.redisNow();
      await runScript(redis, REVOKE_GRANT, [keys.grant(grantId)], [keys.grantRevoked(grantId), tombstoneMs]);
      return at;
    },

    /** Whether a destroy that began at `at` ended so late that a refill could outlive its tombstone. */
    destroyedLate(at: number): boolean {
      return namespace.redisNow() > at + tombstoneMs - writeWindowMs - margin;
    },
  };
}

export type ArtefactCache = ReturnType<typeof createArtefactCache>;
