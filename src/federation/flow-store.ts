import type { Redis } from 'ioredis';
import type { Clock } from '../platform/clock.ts';
import { randomToken } from '../platform/crypto/random.ts';
import type { Db } from '../platform/db/database.ts';

// Federated sign-ins in flight (docs/design/federation.md, "One pattern for both protocols"). The
// provider's answer arrives at a fixed Canopy URL, not in the interaction, so what the start knew
// travels in a record keyed by a random id (the OIDC `state`, the SAML `RelayState`) and is taken
// exactly once. Redis when configured (any node may receive the answer), else the SQL store.

/** What a flow record is for; a record is only ever taken back by its own kind. */
export type FlowKind = 'oidc' | 'saml';

/** The longest a flow may wait for the provider: no longer than an interaction lives. */
export const MAX_FLOW_TTL_SECONDS = 600;

export interface FlowRecord<D = Record<string, unknown>> {
  id: string;
  kind: FlowKind;
  interactionUid: string;
  tenantId: string;
  providerId: string;
  /** The app the user is signing in to, when known (usage analytics, ANL-1). */
  clientId?: string;
  /** Protocol state: PKCE verifier, nonce, SAML request id… (JSON-serialisable). */
  data: D;
  expiresAt: Date;
}

export interface NewFlow<D> {
  interactionUid: string;
  tenantId: string;
  providerId: string;
  clientId?: string;
  data: D;
  /** At most MAX_FLOW_TTL_SECONDS (the default). */
  ttlSeconds?: number;
}

/** What the answer established, waiting for the interaction to finish the login. */
export interface FlowOutcome {
  tenantId: string;
  providerId: string;
  userId: string;
}

export interface FlowStore {
  /**
   * Stores a record under a new random id (256 bits, URL-safe) and returns the id; given the id an
   * earlier `put` returned, replaces that record (SAML: the request id is known only once the
   * RelayState, which is the record's id, has been used to make the request).
   */
  put<D>(kind: FlowKind, flow: NewFlow<D>, replacing?: string): Promise<string>;
  /** The record, deleted in the same step: of any number of concurrent takes, one gets it. */
  take<D = Record<string, unknown>>(kind: FlowKind, id: string): Promise<FlowRecord<D> | undefined>;
  putOutcome(interactionUid: string, outcome: FlowOutcome): Promise<void>;
  takeOutcome(interactionUid: string): Promise<FlowOutcome | undefined>;
  /**
   * FED-6 IdP-initiated: an outcome with no interaction yet, under a new random id (the handoff
   * cookie's value) for the login interaction the browser is sent to; same TTL as outcomes.
   */
  park(outcome: FlowOutcome): Promise<string>;
  /** The parked outcome, deleted in the same step (single use). */
  takeParked(id: string): Promise<FlowOutcome | undefined>;
}

const OUTCOME_TTL_SECONDS = 120;
/** Keys are our ids or interaction uids; anything longer or stranger is no key of ours. */
const KEY = /^[A-Za-z0-9_-]{1,128}$/;

interface Stored {
  kind: string;
  id: string;
  payload: Record<string, unknown>;
  expiresAt: Date;
}

interface Backend {
  set(s: Stored): Promise<void>;
  take(kind: string, id: string): Promise<Record<string, unknown> | undefined>;
}

export function createFlowStore(deps: {
  db: Db;
  clock: Clock;
  redis?: Redis;
  redisKeyPrefix?: string;
}): FlowStore {
  const { clock } = deps;
  const backend = deps.redis
    ? redisBackend(deps.redis, `${deps.redisKeyPrefix ?? 'canopy:'}fed:`, clock)
    : sqlBackend(deps.db);

  const expiry = (seconds: number) =>
    new Date(clock.now().getTime() + Math.min(Math.max(seconds, 1), MAX_FLOW_TTL_SECONDS) * 1000);

  /** Expiry is checked here too, against the injected clock, whatever the backend's own TTL did. */
  async function takeLive(kind: string, id: string) {
    if (!KEY.test(id)) return undefined;
    const payload = await backend.take(kind, id);
    if (!payload || new Date(String(payload.expiresAt)).getTime() <= clock.now().getTime()) return undefined;
    return payload;
  }

  return {
    async put(kind, flow, replacing) {
      const id = replacing ?? randomToken(32);
      const expiresAt = expiry(flow.ttlSeconds ?? MAX_FLOW_TTL_SECONDS);
      const payload = { ...flow, ttlSeconds: undefined, id, kind, expiresAt: expiresAt.toISOString() };
      await backend.set({ kind, id, payload, expiresAt });
      return id;
    },
    async take<D>(kind: FlowKind, id: string) {
      const p = await takeLive(kind, id);
      if (!p) return undefined;
      return {
        id,
        kind,
        interactionUid: String(p.interactionUid),
        tenantId: String(p.tenantId),
        providerId: String(p.providerId),
        ...(typeof p.clientId === 'string' ? { clientId: p.clientId } : {}),
        data: p.data as D,
        expiresAt: new Date(String(p.expiresAt)),
      };
    },
    async putOutcome(interactionUid, outcome) {
      if (!KEY.test(interactionUid)) throw new Error('not an interaction uid');
      const expiresAt = expiry(OUTCOME_TTL_SECONDS);
      const payload = { ...outcome, expiresAt: expiresAt.toISOString() };
      await backend.set({ kind: 'outcome', id: interactionUid, payload, expiresAt });
    },
    async takeOutcome(interactionUid) {
      return toOutcome(await takeLive('outcome', interactionUid));
    },
    async park(outcome) {
      const id = randomToken(32);
      const expiresAt = expiry(OUTCOME_TTL_SECONDS);
      await backend.set({
        kind: 'parked',
        id,
        payload: { ...outcome, expiresAt: expiresAt.toISOString() },
        expiresAt,
      });
      return id;
    },
    async takeParked(id) {
      return toOutcome(await takeLive('parked', id));
    },
  };
}

function toOutcome(p: Record<string, unknown> | undefined): FlowOutcome | undefined {
  if (!p) return undefined;
  return { tenantId: String(p.tenantId), providerId: String(p.providerId), userId: String(p.userId) };
}

function redisBackend(redis: Redis, prefix: string, clock: Clock): Backend {
  const key = (kind: string, id: string) => `${prefix}${kind}:${id}`;
  return {
    async set(s) {
      const ttl = Math.max(1, s.expiresAt.getTime() - clock.now().getTime());
      await redis.set(key(s.kind, s.id), JSON.stringify(s.payload), 'PX', ttl);
    },
    async take(kind, id) {
      // GETDEL: the read and the delete are one command, so a replayed answer finds nothing.
      const raw = await redis.getdel(key(kind, id));
      return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    },
  };
}

/**
 * REL-6: deletes up to `limit` records past their expiry (by `clock`); how many went. Run by
 * housekeeping, never on a request's path.
 */
export async function sweepExpiredFlows(db: Db, clock: Clock, limit: number): Promise<number> {
  const expired = db('federation_flows')
    .select('kind', 'id')
    .where('expires_at', '<=', clock.now())
    .limit(limit);
  return db('federation_flows').whereIn(['kind', 'id'], expired).del();
}

function sqlBackend(db: Db): Backend {
  return {
    async set(s) {
      await db('federation_flows')
        .insert({ kind: s.kind, id: s.id, payload: JSON.stringify(s.payload), expires_at: s.expiresAt })
        .onConflict(['kind', 'id'])
        .merge();
    },
    async take(kind, id) {
      // One statement: of two concurrent takes, exactly one deletes (and so returns) the row.
      const rows = await db('federation_flows').where({ kind, id }).del().returning('payload');
      const payload = rows[0]?.payload;
      if (payload === undefined) return undefined;
      return (typeof payload === 'string' ? JSON.parse(payload) : payload) as Record<string, unknown>;
    },
  };
}
