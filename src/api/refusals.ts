import { type AuditService, accessDeniedEntry } from '../modules/audit/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { Actor } from '../platform/context.ts';
import { isUuid } from '../platform/errors/index.ts';
import type { Forbidden } from '../platform/http/route.ts';

/** What each id parameter of the API's paths names, as the audit log's targets call it. */
const TARGET_TYPES: Readonly<Record<string, string>> = {
  orgId: 'organization',
  userId: 'user',
  appId: 'app',
  environmentId: 'environment',
  providerId: 'identity_provider',
  mappingId: 'group_mapping',
  invitationId: 'invitation',
  roleId: 'role',
  assignmentId: 'role_assignment',
};

/** The object a route acts on: its last path parameter, when that is an id. */
function targetOf(route: string, params: Readonly<Record<string, unknown>>) {
  const name = [...route.matchAll(/:([A-Za-z0-9_]+)/g)].at(-1)?.[1];
  const type = name ? TARGET_TYPES[name] : undefined;
  const id = name ? params[name] : undefined;
  return type && isUuid(id) ? { type, id } : undefined;
}

/** Who a refusal key names: the actor's kind and id. */
function actorOf(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return `user:${actor.userId}`;
    case 'app':
      return `app:${actor.clientId}`;
    case 'operator':
      return `operator:${actor.name}`;
    default:
      return actor.kind;
  }
}

/** At most one `access.denied` entry per refusal key and window, on each node. */
export const REFUSAL_WINDOW_MS = 60_000;
/** Refusal keys a node remembers; past this, the one recorded longest ago is forgotten. */
export const REFUSAL_KEYS = 10_000;

interface KeyState {
  /** When the key's last entry was recorded (epoch ms, by the service's clock). */
  recordedAt: number;
  /** Refusals of the key not recorded since that entry. */
  suppressed: number;
}

/**
 * Decides which refusals are written: the first of a key, then at most one per key and window,
 * which carries how many were left out since the previous one. In memory, per node, bounded.
 * (rate-limiter-flexible's memory limiter reads the system clock and forgets a key's count when its
 * window ends; the count is what the next entry must carry, and tests move an injected clock.)
 */
export function createRefusalCoalescer(deps: { clock: Clock; windowMs?: number; maxKeys?: number }) {
  const { clock, windowMs = REFUSAL_WINDOW_MS, maxKeys = REFUSAL_KEYS } = deps;
  const keys = new Map<string, KeyState>();
  return {
    /** Counts one refusal: the number left out before it when it is to be recorded, else undefined. */
    admit(key: string): number | undefined {
      const now = clock.now().getTime();
      const state = keys.get(key);
      if (state && now - state.recordedAt < windowMs) {
        state.suppressed += 1;
        return undefined;
      }
      keys.delete(key); // re-inserted last: the map's order is the order of recording
      if (keys.size >= maxKeys) keys.delete(keys.keys().next().value as string);
      keys.set(key, { recordedAt: now, suppressed: 0 });
      return state?.suppressed ?? 0;
    },
    /**
     * An admitted refusal's entry could not be written: it counts as left out, with those before
     * it, and the next entry is due after the window all the same (a failing log is not hammered).
     */
    unrecorded(key: string, suppressed: number): void {
      const state = keys.get(key);
      if (state) state.suppressed += suppressed + 1;
    },
    get size(): number {
      return keys.size;
    },
  };
}

export type RefusalCoalescer = ReturnType<typeof createRefusalCoalescer>;

/**
 * SEC-12: every 403 the admin API answers to a user or an app is audited (`access.denied`), from
 * this one place rather than route by route. Anonymous callers never reach a handler (401).
 * Refusals are coalesced per tenant, actor, route and error code so that a caller cannot flood the
 * log: the first is recorded, then at most one a minute, with `suppressed` counting those left out
 * since the previous entry (each node counts its own).
 */
export function auditRefusals(deps: {
  audit: Pick<AuditService, 'recordNow'>;
  coalescer: Pick<RefusalCoalescer, 'admit' | 'unrecorded'>;
}) {
  const { audit, coalescer } = deps;
  return async ({ ctx, method, route, params, error }: Forbidden): Promise<void> => {
    const at = { method: method.toUpperCase(), route };
    const entry = accessDeniedEntry(ctx, at, error, targetOf(route, params));
    if (!entry) return;
    const key = JSON.stringify([entry.tenantId, actorOf(ctx.actor), at.method, route, error.code]);
    const suppressed = coalescer.admit(key);
    if (suppressed === undefined) return;
    const after = suppressed > 0 ? { ...(entry.after as object), suppressed } : entry.after;
    try {
      await audit.recordNow(ctx, { ...entry, after });
    } catch (err) {
      coalescer.unrecorded(key, suppressed);
      throw err;
    }
  };
}
