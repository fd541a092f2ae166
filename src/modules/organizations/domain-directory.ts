import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import { announceSaved, assertSignalsLive, type SignalBus } from '../../platform/signals.ts';
import { createOrganizationRepository } from './organization.repository.ts';

/**
 * Published with `{ "domains": [...] }` once a change that makes a domain name another master org,
 * or none, is committed: a sign-up (a new domain) and ORG-3 (the old and the new domain).
 */
export const ORGANIZATION_DOMAINS_CHANGED = 'organizations.domains.changed';

/** The master org a sign-in URL's domain names: the tenant, and its domain as stored. */
export interface MasterRef {
  id: string;
  domain: string;
}

/**
 * How long an answer is kept. Signals drop a changed domain at once on every node; the ages only
 * bound what a lost signal could leave behind. An unknown domain is kept briefly: a scan of made-up
 * names then costs one query per name and window, and a new tenant's domain is announced anyway.
 */
const KNOWN_MS = 60_000;
const UNKNOWN_MS = 5_000;
const KNOWN_KEPT = 10_000;
const UNKNOWN_KEPT = 1_000;

interface Entry {
  ref: MasterRef | undefined;
  until: number;
}

export interface DomainDirectoryDeps {
  db: Db;
  signals: SignalBus;
  logger: Logger;
  /** Monotonic milliseconds; ages only, never business time. */
  now?: () => number;
}

/**
 * The domain → master org lookup of `/login/:domain`, the sign-in pages and the provider's `org`
 * parameter, answered from memory (one query per domain and window, however many requests wait for
 * it) and dropped on every node when a domain changes. As every signalled cache
 * (platform/signalled-cache.ts): bypassed while this node cannot hear signals, emptied when it can
 * again, and an answer read while a change was heard is not kept.
 */
export function createDomainDirectory(deps: DomainDirectoryDeps) {
  const now = deps.now ?? (() => performance.now());
  const orgs = createOrganizationRepository(deps.db);
  const known = new Map<string, Entry>();
  const unknown = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<MasterRef | undefined>>();
  // Bumped by every change heard: a lookup that was under way then may have read the old answer,
  // so it is handed to its callers but not kept.
  let generation = 0;

  function keep(key: string, ref: MasterRef | undefined): void {
    const [map, limit, age] = ref ? [known, KNOWN_KEPT, KNOWN_MS] : [unknown, UNKNOWN_KEPT, UNKNOWN_MS];
    known.delete(key); // an aged-out answer of the other kind must not shadow this one
    unknown.delete(key);
    if (map.size >= limit) map.delete(map.keys().next().value!); // the oldest
    map.set(key, { ref, until: now() + age });
  }

  function forget(domains: readonly string[] | undefined): void {
    generation++;
    if (!domains) {
      known.clear();
      unknown.clear();
      inFlight.clear();
      return;
    }
    for (const domain of domains) {
      const key = domain.toLowerCase();
      known.delete(key);
      unknown.delete(key);
      inFlight.delete(key);
    }
  }

  /** Case-insensitive, as the unique index is. */
  async function lookupInDatabase(domain: string): Promise<MasterRef | undefined> {
    const org = await orgs.findMasterByDomain(domain);
    return org?.domain ? { id: org.id, domain: org.domain } : undefined;
  }

  function announced(raw: string): readonly string[] | undefined {
    try {
      const { domains } = JSON.parse(raw) as { domains?: unknown };
      if (Array.isArray(domains) && domains.every((d) => typeof d === 'string')) return domains;
    } catch {
      // Not ours to read: forget everything rather than guess.
    }
    return undefined;
  }

  return {
    /** Listens for changes made on any node; a node that missed signals forgets everything. */
    async start(): Promise<void> {
      await deps.signals.subscribe(ORGANIZATION_DOMAINS_CHANGED, (raw) => forget(announced(raw)));
      deps.signals.onResync(() => forget(undefined));
    },

    /** The master org `domain` names, or undefined. */
    find(domain: string): Promise<MasterRef | undefined> {
      const key = domain.toLowerCase();
      if (!deps.signals.isLive()) {
        if (known.size + unknown.size + inFlight.size > 0) forget(undefined);
        return lookupInDatabase(key);
      }
      const entry = known.get(key) ?? unknown.get(key);
      if (entry && entry.until > now()) return Promise.resolve(entry.ref);
      const waiting = inFlight.get(key);
      if (waiting !== undefined) return waiting;
      const started = generation;
      const lookup = lookupInDatabase(key).then((ref) => {
        if (generation === started && deps.signals.isLive()) keep(key, ref);
        return ref;
      });
      inFlight.set(key, lookup);
      const done = () => {
        if (inFlight.get(key) === lookup) inFlight.delete(key);
      };
      lookup.then(done, done);
      return lookup;
    },

    /** Before ORG-3 changes a domain: refused (503), with nothing changed, when other nodes cannot be told. */
    assertCanAnnounce(): void {
      assertSignalsLive(deps.signals);
    },

    /**
     * After ORG-3 committed a domain change: this node forgets both domains at once, every other
     * node when the signal reaches it. The link was checked before the change (assertSignalsLive);
     * should it break since, the saved change still succeeds and the failure is logged.
     */
    async changed(domains: readonly (string | null)[]): Promise<void> {
      const named = [...new Set(domains.filter((d): d is string => typeof d === 'string'))];
      if (named.length === 0) return;
      forget(named);
      await announceSaved(
        deps.signals,
        deps.logger,
        ORGANIZATION_DOMAINS_CHANGED,
        JSON.stringify({ domains: named }),
      );
    },

    /**
     * After a sign-up committed a new domain. A failed announcement is only logged: the sign-up
     * stands, and a node that had just found the domain unknown forgets that within seconds.
     */
    async added(domain: string | null): Promise<void> {
      if (!domain) return;
      forget([domain]);
      await deps.signals
        .publish(ORGANIZATION_DOMAINS_CHANGED, JSON.stringify({ domains: [domain] }))
        .catch((err: Error) =>
          deps.logger.warn({ err: err.message }, 'could not announce a new domain to the other nodes'),
        );
    },
  };
}

export type DomainDirectory = ReturnType<typeof createDomainDirectory>;
