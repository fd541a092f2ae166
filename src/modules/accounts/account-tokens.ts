import { createHash } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import { randomToken } from '../../platform/crypto/random.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import {
  type AccountTokenPurpose,
  type AccountTokenRow,
  createAccountTokenRepository,
} from './account-token.repository.ts';

/** How long a link works (ACC-1: a reset link 30 minutes; a verification link a day). */
export const LINK_LIFETIME_MS: Record<AccountTokenPurpose, number> = {
  password_reset: 30 * 60_000,
  email_verification: 24 * 60 * 60_000,
};

/** 256 random bits, base64url (43 characters): the only shape a link secret can have. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** Only the SHA-256 is stored: enough for a secret of 256 random bits, and one indexed lookup. */
const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/**
 * Single-use account links (ACC-1, ACC-3). Issuing one retires the user's earlier links of the same
 * purpose, so only the newest mail works. A link is read without being spent (the page that asks for
 * the new password), then spent exactly once when its form is submitted.
 */
export function createAccountTokens(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function issue(
    tx: Tx,
    tenantId: string,
    userId: string,
    purpose: AccountTokenPurpose,
    email: string | null = null,
  ): Promise<{ secret: string; expiresAt: Date }> {
    const repo = createAccountTokenRepository(tx);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + LINK_LIFETIME_MS[purpose]);
    const secret = randomToken(32);
    await repo.retireForUser(tenantId, userId, purpose, now);
    await repo.insert(tenantId, { tokenHash: hashOf(secret), userId, purpose, email }, now, expiresAt);
    return { secret, expiresAt };
  }

  /** The link's owner, if it is still usable; it stays usable. */
  async function peek(secret: unknown, purpose: AccountTokenPurpose): Promise<AccountTokenRow | undefined> {
    if (typeof secret !== 'string' || !SECRET.test(secret)) return undefined;
    return createAccountTokenRepository(db).findUsable(hashOf(secret), purpose, clock.now());
  }

  /** Spends the link inside the caller's transaction; undefined when it is not usable (one winner). */
  async function consume(
    tx: Tx,
    secret: unknown,
    purpose: AccountTokenPurpose,
  ): Promise<AccountTokenRow | undefined> {
    if (typeof secret !== 'string' || !SECRET.test(secret)) return undefined;
    return createAccountTokenRepository(tx).consume(hashOf(secret), purpose, clock.now());
  }

  return {
    issue,
    peek,
    consume,
    /** Every unused link of this purpose for the user stops working (after a reset, say). */
    retireAll: (tx: Tx, tenantId: string, userId: string, purpose: AccountTokenPurpose) =>
      createAccountTokenRepository(tx).retireForUser(tenantId, userId, purpose, clock.now()),
    /** Housekeeping (REL-6). */
    deleteExpired: (limit = 1_000) => createAccountTokenRepository(db).deleteExpired(clock.now(), limit),
  };
}

export type AccountTokens = ReturnType<typeof createAccountTokens>;
export type { AccountTokenPurpose };
