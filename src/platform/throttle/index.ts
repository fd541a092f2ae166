// One throttle mechanism (limits declared, counted in the store each names); the policies are
// declared where they apply: sign-in lockouts (modules/sign-in), invitation quotas
// (modules/invitations), the API rate limit (api/), code entry and anonymous caps (oidc/), sign-ups
// (container.ts).
export {
  type Count,
  createLimiters,
  type Limit,
  type Limiter,
  type LimiterDeps,
  type Limiters,
  type LimitStore,
  retryAfterSeconds,
  type Taken,
} from './limiter.ts';
export { createRequestThrottle, type RequestThrottle } from './request-throttle.ts';
export { type CounterSelection, clearCounters, countLive, sweepEndedCounters } from './sql-store.ts';
