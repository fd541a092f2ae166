import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Adapter, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { Provider } from 'oidc-provider';
import type { UsageEvent } from '../modules/analytics/index.ts';
import type { AppService } from '../modules/apps/index.ts';
import type { AuditService } from '../modules/audit/index.ts';
import type { CredentialService } from '../modules/environments/index.ts';
import type { OrganizationService } from '../modules/organizations/index.ts';
import type { TenantDirectory } from '../modules/roles/index.ts';
import type { SessionService } from '../modules/sessions/index.ts';
import { KEYS_CHANGED, type SigningKeyService } from '../modules/signing-keys/index.ts';
import type { UserService } from '../modules/users/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/database.ts';
import { isDependencyUnavailable } from '../platform/errors/unavailable.ts';
import type { Logger } from '../platform/logger.ts';
import type { SignalBus } from '../platform/signals.ts';
import type { Limiters } from '../platform/throttle/index.ts';
import { createAdapterFactory } from './adapters/adapter-factory.ts';
import type { AnonymousCap } from './anonymous-cap.ts';
import { createBearerResolver } from './bearer.ts';
import { providerCacheHeaders } from './cache-headers.ts';
import { type ClientKind, createClientStore } from './client-store.ts';
import { CODE_VERIFICATION_PATH, type ConfigurationDeps, providerConfiguration } from './configuration.ts';
import { createDeviceAudit } from './device-audit.ts';
import { devicePages } from './device-pages.ts';
import { createDevicePolling } from './device-polling.ts';
import { createDeviceThrottle } from './device-throttle.ts';
import { introspectionCurrentTruth, introspectionUsage, usageOwner } from './introspection.ts';
import { providerPageSecurity } from './page-security.ts';
import { pinPublicOrigin } from './public-origin.ts';
import { createRefreshReuse } from './refresh-reuse.ts';
import { createSessionGrants } from './session-grants.ts';
import { guardSessions, type SessionDeadlines, sessionTtl } from './session-guard.ts';
import { createSessionOrigins } from './session-origin.ts';
import { createTenantResolver } from './tenancy.ts';
import { unauthorizedClientForGrantType } from './unauthorized-client.ts';
import { answerUnavailable } from './unavailable.ts';

export interface OidcDeps {
  issuer: string;
  trustProxy: boolean;
  /** With trustProxy: how many X-Forwarded-For entries, from the right, are proxies'. */
  proxyHops: number;
  db: Db;
  redis: Redis | undefined;
  redisKeyPrefix: string;
  clock: Clock;
  logger: Logger;
  signals: SignalBus;
  cookieKeys: string[];
  users: Pick<UserService, 'tenantOf' | 'profileOf'>;
  organizations: Pick<OrganizationService, 'masterByDomain'>;
  directory: TenantDirectory;
  sessions: SessionService;
  apps: Pick<AppService, 'findByClientId' | 'verifySecret'>;
  credentials: Pick<CredentialService, 'findClient' | 'verifySecret'>;
  signingKeys: Pick<SigningKeyService, 'providerJwks'>;
  pages: ConfigurationDeps['pages'];
  /** Usage analytics (ANL-1): tokens issued and introspections, counted in memory. */
  usage?: { record(event: UsageEvent): void };
  /** AUD-1: a person's approval or refusal of a device code. */
  audit: Pick<AuditService, 'recordNow'>;
  /** REL-4: per-address cap on what anonymous requests store (interactions, device codes…). */
  anonymousCap: Pick<AnonymousCap, 'provider' | 'watch'>;
  /** The node's throttle mechanism (the container's), for the code entry limit. */
  limiters: Limiters;
}

/**
 * How often the published keys are compared with the database's (expired rows are removed by
 * src/container/housekeeping-tasks.ts).
 */
const KEY_CHECK_EVERY_MS = 10 * 60_000;
/** Retries of a failed provider rebuild before the periodic key check takes over (1 + 2 + … + 32 s). */
const REBUILD_RETRIES = 6;

/**
 * The OpenID provider: built from the configuration, the shared stores and the signing keys in
 * the database, and rebuilt when the keys change (on every node: the change is signalled). The
 * stores are shared by every build, so sessions, codes and tokens survive a rebuild.
 */
export async function createOidc(deps: OidcDeps) {
  const Storage = createAdapterFactory({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    redis: deps.redis,
    prefix: deps.redisKeyPrefix,
  });
  const clients = createClientStore({ ...deps, now: () => deps.clock.now().getTime() });
  const deadlines: SessionDeadlines = new Map();
  const tenantFor = createTenantResolver(deps);
  // RFC 8628 interval and slow_down, judged in the shared stores (Redis, else SQL).
  const pollAtInterval = createDevicePolling({
    redis: deps.redis,
    prefix: deps.redisKeyPrefix,
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
  });
  const recordDecision = createDeviceAudit({ tenantFor, users: deps.users, audit: deps.audit });
  const throttleCodeEntry = createDeviceThrottle({
    path: CODE_VERIFICATION_PATH,
    limiters: deps.limiters,
    logger: deps.logger,
  });
  // Concurrent refresh: a second use of a refresh token within its app's reuse interval.
  const refreshReuse = createRefreshReuse({ clock: deps.clock });
  // ACC-5: the browser and network a session was signed in from.
  const origins = createSessionOrigins();
  const adapter = (name: string): Adapter => {
    if (name === 'Client') return clients.adapter;
    const store = new Storage(name);
    if (name === 'RefreshToken') return refreshReuse.wrap(store);
    return name === 'Session' ? guardSessions(store, deps.sessions, deadlines, origins.current) : store;
  };

  async function build(): Promise<{
    provider: Provider;
    handle: (req: IncomingMessage, res: ServerResponse) => void;
  }> {
    const configuration: Configuration = providerConfiguration({
      issuer: deps.issuer,
      tenantFor,
      adapter,
      jwks: await deps.signingKeys.providerJwks(),
      cookieKeys: deps.cookieKeys,
      users: deps.users,
      directory: deps.directory,
      sessionTtl: sessionTtl(deadlines, () => deps.clock.now().getTime()),
      pages: deps.pages,
      devicePages: devicePages({
        tenantFor,
        directory: deps.directory,
        clock: deps.clock,
        recordDecision,
        logger: deps.logger,
      }),
    });
    const provider = new Provider(deps.issuer, configuration);
    provider.proxy = deps.trustProxy;
    // Koa reads the client address as Express does: `proxyHops` entries from the right.
    provider.maxIpsCount = deps.proxyHops;
    // SEC-7: first of all, every URL the provider builds is PUBLIC_URL's, whatever Host says.
    provider.use(pinPublicOrigin(deps.issuer));
    // REL-2: PostgreSQL or Redis away → 503 temporarily_unavailable; outermost but for the origin pin.
    provider.use(answerUnavailable(provider, { logger: deps.logger, renderError: deps.pages.renderError! }));
    provider.use(providerCacheHeaders);
    provider.use(providerPageSecurity);
    provider.use(deps.anonymousCap.provider);
    deps.anonymousCap.watch(provider);
    provider.use(refreshReuse.requestScope);
    provider.use(origins.requestScope);
    provider.use(unauthorizedClientForGrantType);
    provider.use(throttleCodeEntry);
    provider.use(pollAtInterval);
    provider.use(introspectionCurrentTruth(deps));
    provider.Client.prototype.compareClientSecret = function compareWithOwner(
      this: Record<string, unknown>,
      secret,
    ) {
      return clients.verifySecret(this.canopy_kind as ClientKind, this.clientId as string, secret);
    };
    provider.on('server_error', (_ctx, err) => {
      if (!isDependencyUnavailable(err)) deps.logger.error({ err: describe(err) }, 'provider error');
    });
    if (deps.usage) countUsage(provider, { ...deps, usage: deps.usage });
    // SESS-7: once a logout has destroyed the stored session, the registry records that it ended
    // (before the response leaves), so a request that loaded the session earlier cannot revive it.
    provider.use(async (ctx, next) => {
      await next();
      const session = ctx.oidc?.entities.Session as { uid?: string; destroyed?: boolean } | undefined;
      if (ctx.oidc?.route === 'end_session_confirm' && session?.uid && session.destroyed) {
        await deps.sessions.end(session.uid);
      }
    });
    return { provider, handle: provider.callback() };
  }

  let current = await build();
  let kids = await publishedKids();
  let keyCheck: NodeJS.Timeout | undefined;
  let builds = 0;
  let closed = false;
  /** Rebuilds and key checks under way: closing waits for them, so none outlives the database. */
  const running = new Set<Promise<void>>();
  function track(work: Promise<void>): void {
    if (closed) return;
    const settled = work.finally(() => running.delete(settled));
    running.add(settled);
  }

  async function publishedKids(): Promise<string> {
    return (await deps.signingKeys.providerJwks()).keys.map((k) => (k as { kid?: string }).kid).join(' ');
  }

  /**
   * Rebuilds with the keys in the database; of overlapping rebuilds, the last one started wins. A
   * failed rebuild is retried soon, backing off (1 s … 32 s), rather than left to the key check: a
   * revoked key must not stay in use for minutes because the database blinked (SEC-11).
   */
  async function rebuild(reason: string, attempt = 0): Promise<void> {
    const mine = ++builds;
    try {
      const next = await build();
      const nextKids = await publishedKids();
      if (mine !== builds) return;
      current = next;
      kids = nextKids;
      deps.logger.info({ reason }, 'provider rebuilt with the current signing keys');
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, reason, attempt }, 'could not rebuild the provider');
      if (closed || mine !== builds || attempt >= REBUILD_RETRIES) return;
      setTimeout(() => track(rebuild(reason, attempt + 1)), 1000 * 2 ** attempt).unref();
    }
  }

  return {
    get provider(): Provider {
      return current.provider;
    },
    tenantFor,
    /** The admin API's bearer tokens: who a token speaks for. */
    resolveBearer: createBearerResolver({
      provider: () => current.provider,
      users: deps.users,
      directory: deps.directory,
    }),
    // ACC-2, ACC-5: `revokeSessionGrants` (the grants on a session's row) before the registry ends it; `appNames`.
    ...createSessionGrants({ sessionStore: new Storage('Session'), provider: () => current.provider }),
    /** The request handler of the current build. */
    handle(req: IncomingMessage, res: ServerResponse): void {
      current.handle(req, res);
    },
    async start(): Promise<void> {
      await clients.start();
      await deps.signals.subscribe(KEYS_CHANGED, () => {
        track(rebuild('signing keys changed'));
      });
      // A change signalled while this node was not listening is caught on resync and by the key check.
      deps.signals.onResync(() => {
        track(rebuild('resync'));
      });
      keyCheck = setInterval(() => {
        track(checkKeys());
      }, KEY_CHECK_EVERY_MS);
      keyCheck.unref();
    },
    async close(): Promise<void> {
      closed = true;
      if (keyCheck) clearInterval(keyCheck);
      await Promise.allSettled(running);
    },
  };

  /** Rebuilds when the published keys changed (a missed signal, or a key retiring). */
  async function checkKeys(): Promise<void> {
    try {
      if ((await publishedKids()) !== kids) await rebuild('published keys changed');
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'checking the published signing keys failed');
    }
  }
}

export type Oidc = Awaited<ReturnType<typeof createOidc>>;

/**
 * ANL-1: every token the token endpoint issues (code, refresh, client credentials) and every
 * introspection answered are counted in memory; the recorder writes the counts in batches.
 */
function countUsage(
  provider: Provider,
  deps: Pick<OidcDeps, 'users' | 'logger'> & { usage: NonNullable<OidcDeps['usage']> },
): void {
  provider.use(introspectionUsage(deps));
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const client = ctx.oidc.client as unknown as Parameters<typeof usageOwner>[0] | undefined;
    if (!client) return;
    const record = (accountTenantId?: string) => {
      try {
        const owner = usageOwner(client, accountTenantId);
        if (owner) deps.usage.record({ ...owner, metric: 'token_issued' });
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'could not count an issued token'); // never fails a token
      }
    };
    const accountId = (ctx.oidc.entities.Grant as { accountId?: string } | undefined)?.accountId;
    // Only the console has no tenant of its own: its tokens count for the user's master org.
    if (typeof client.canopy_tenant_id === 'string' || !accountId) return record();
    deps.users.tenantOf(accountId).then(record, (err: Error) => {
      deps.logger.warn({ err: err.message }, 'could not count an issued token');
    });
  });
}

function describe(err: unknown): Record<string, unknown> {
  const e = err as Error & { error_detail?: string };
  return { type: e?.name, message: e?.message, detail: e?.error_detail, stack: e?.stack };
}
