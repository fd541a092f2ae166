import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import { type KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Logger } from '../platform/logger.ts';
// Counted per address as every other throttle counts it: an IPv6 /64 is one address.
import { throttleUnit } from '../platform/net/networks.ts';
import { type Limit, type Limiters, retryAfterSeconds } from '../platform/throttle/index.ts';
import { errorPage, sendPage } from '../web/index.ts';
import { CODE_VERIFICATION_PATH, OIDC_PREFIX } from './configuration.ts';
import { clientAddress, refuseWithPage, requestIdOf, requestLog, routedPath } from './provider-throttle.ts';

// REL-4: what requests may create in storage before anyone has signed in, per source address and
// minute — one counter for all of it: sign-in interactions, anonymous sessions (the provider stores
// one to hold the CSRF secret of its code-entry and logout forms), device codes, pushed
// authorization requests, and federated sign-ins started. Each such thing also expires within
// minutes (configuration.ts `ttl`, session-guard.ts, the federation flow store). Saving a session
// someone signed in to is a sign-in, throttled as such, and is not counted here.

/** Things created per address and minute: a window limiter's (Redis when configured, else SQL). */
const anonymousCreations = (perMinute: number): Limit => ({
  name: 'anonymous',
  points: perMinute,
  windowSeconds: 60,
  store: 'window',
});

/** Where the provider may store something for an anonymous request; OAuth endpoints answer JSON. */
const OAUTH_ENDPOINTS = new Set([`${OIDC_PREFIX}/device/auth`, `${OIDC_PREFIX}/request`]);
const BROWSER_PREFIXES = [`${OIDC_PREFIX}/auth`, CODE_VERIFICATION_PATH, `${OIDC_PREFIX}/session/end`];

/** The provider's save events of the models an anonymous request can create. */
const SAVED_EVENTS = [
  'interaction.saved',
  'session.saved',
  'device_code.saved',
  'pushed_authorization_request.saved',
  'backchannel_authentication_request.saved',
] as const;

export interface AnonymousCapDeps {
  limiters: Limiters;
  logger: Logger;
  /** `anonymous.perAddressPerMinute`. */
  perAddressPerMinute: number;
  /** Counter keys are HMACs under this key: an address is guessable, so a plain hash is not (SEC-12). */
  key: Buffer;
}

type Refusal = { retryAfter: number };

/**
 * The per-address cap on what anonymous requests create (REL-4). A request that may create
 * something counts against its address before it runs — so parallel requests cannot slip past the
 * cap — and is given its count back when it created nothing (a signed-in browser's silent sign-in,
 * an invalid request), or charged more when it created several things.
 * Over the cap it is answered 429 with Retry-After until the minute has passed. Create once per
 * node; the counts are a window limiter's (Redis when configured, else SQL), shared by every node.
 */
export function createAnonymousCap(deps: AnonymousCapDeps) {
  const limiter = deps.limiters(anonymousCreations(deps.perAddressPerMinute));
  const keyOf = (ip: string) =>
    createHmac('sha256', deps.key)
      .update(`anonymous\n${throttleUnit(ip)}`)
      .digest('base64url');

  /** Counts one creation by this address; the refusal when the address is over the cap. */
  async function take(key: string, log: Logger): Promise<Refusal | undefined> {
    const count = await limiter.take(key);
    if (count.within) return undefined;
    const retryAfter = retryAfterSeconds(count.msBeforeNext);
    // Once per address and window: a flood must not flood the log. No address either.
    if (count.wentOver) log.warn({ retryAfterSeconds: retryAfter }, 'anonymous cap reached by an address');
    return { retryAfter };
  }

  /** Settles the count taken before the request ran with the number of things it created (maybe 0). */
  async function settle(key: string, created: number, log: Logger): Promise<void> {
    try {
      if (created === 0) await limiter.giveBack(key);
      else if (created > 1) await limiter.penalty(key, created - 1);
    } catch (err) {
      // The answer is ready; a count left unsettled only errs for this window.
      log.warn({ err: (err as Error).message }, 'anonymous cap: could not settle a count');
    }
  }

  // Saves reported by the provider, per request (its context, from the provider's own async scope).
  const tallies = new WeakMap<object, { saved: number }>();
  function onSaved(model: { kind?: string; accountId?: unknown }): void {
    const ctx = Provider.ctx;
    const tally = ctx && tallies.get(ctx);
    // A session someone signed in to is a sign-in, throttled as such: not counted here.
    if (tally && !(model.kind === 'Session' && model.accountId)) tally.saved++;
  }

  return {
    /** Hears the provider's saves; call once for every provider built. */
    watch(provider: Provider): void {
      // The model events are emitted by name (`<model>.saved`); the typings list only some of them.
      const events = provider as unknown as NodeJS.EventEmitter;
      for (const event of SAVED_EVENTS) events.on(event, onSaved);
    },

    /** Provider middleware: counts the requests to the endpoints that may store something. */
    async provider(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
      const kind = ctx.method === 'OPTIONS' ? undefined : endpointKind(ctx.path);
      if (!kind) return next();
      const log = requestLog(ctx, deps.logger);
      const key = keyOf(clientAddress(ctx));
      const refused = await take(key, log);
      if (refused) return kind === 'oauth' ? refuseOAuth(ctx, refused) : refuseBrowser(ctx, refused);
      const tally = { saved: 0 };
      tallies.set(ctx, tally);
      try {
        await next();
      } finally {
        await settle(key, tally.saved, log);
      }
    },

    /**
     * Express: counts a federated sign-in about to be started from `req`'s address. False, with a
     * 429 page sent, when the address is over the cap.
     */
    async admit(req: Request, res: Response): Promise<boolean> {
      const refused = await take(keyOf(req.ip ?? ''), req.log);
      if (!refused) return true;
      res.set('Retry-After', String(refused.retryAfter));
      sendPage(res, 429, tooManyPage(refused, req.id));
      return false;
    },
  };
}

export type AnonymousCap = ReturnType<typeof createAnonymousCap>;

/**
 * Which of the endpoints that may store something the path names, if any. The provider's router
 * ignores ASCII case and one trailing slash: so does this, or `/oidc/Auth/` would pass uncounted.
 */
function endpointKind(path: string): 'oauth' | 'browser' | undefined {
  const p = routedPath(path);
  if (OAUTH_ENDPOINTS.has(p)) return 'oauth';
  return BROWSER_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`))
    ? 'browser'
    : undefined;
}

function tooManyPage(refusal: Refusal, requestId: string | undefined) {
  const minutes = Math.max(1, Math.ceil(refusal.retryAfter / 60));
  return errorPage({
    status: 429,
    title: 'Too many sign-ins from your network',
    message: `Too many sign-ins were started from your network. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`,
    ...(requestId ? { requestId } : {}),
  });
}

function refuseBrowser(ctx: KoaContextWithOIDC, refusal: Refusal): void {
  refuseWithPage(ctx, tooManyPage(refusal, requestIdOf(ctx)), refusal.retryAfter);
}

function refuseOAuth(ctx: KoaContextWithOIDC, refusal: Refusal): void {
  ctx.status = 429;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Retry-After', String(refusal.retryAfter));
  ctx.body = {
    error: 'temporarily_unavailable',
    error_description: `too many requests from this address: retry after ${refusal.retryAfter} seconds`,
  };
}
