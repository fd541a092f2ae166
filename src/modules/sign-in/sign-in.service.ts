import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisClients } from '../../platform/redis.ts';
import type { AuditService } from '../audit/index.ts';
import type { UserService } from '../users/index.ts';

export interface SignInAttempt {
  tenantId: string;
  username: string;
  password: string;
  /** The caller's address, for per-address throttling. */
  ip: string;
}

/** Failures never say whether the username exists (SESS-8). */
export type SignInResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export interface SignInServiceDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  audit: AuditService;
  users: UserService;
  logger: Logger;
}

/** Password sign-in with throttling and lockout, audited (SESS-8, AUD-1). Placeholder: the real service replaces this file. */
export function createSignInService(_deps: SignInServiceDeps) {
  return {
    authenticate: async (_ctx: RequestContext, _attempt: SignInAttempt): Promise<SignInResult> => {
      throw new Error('password sign-in is being built (issue 3)');
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
