import { generateKeyPair as generateKeyPairCb } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../../platform/clock.ts';
import { assertOperator, type RequestContext } from '../../platform/context.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { SignalBus } from '../../platform/signals.ts';
import type { AuditService } from '../audit/index.ts';
import {
  type PrivateJwk,
  type PublicJwk,
  publicPart,
  SIGNING_ALGS,
  type SigningAlg,
  toSigningJwk,
} from './signing-key.jwk.ts';
import { createSigningKeyRepository, type SigningKeyRow } from './signing-key.repository.ts';

/** Published (`{ at }`) whenever the set of published keys changes: every node rebuilds its provider. */
export const KEYS_CHANGED = 'signing-keys.changed';

/** ID tokens live an hour (`ttl.IdToken`); a retired key stays published twice that long. */
export const DEFAULT_RETENTION_MS = 2 * 3_600_000;

export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlg;
  /**
   * `active` signs; `retiring` is still published for verification until `retireAt`; `retired` is
   * gone; `revoked` was withdrawn by an operator at `revokedAt` and never returns.
   */
  status: 'active' | 'retiring' | 'retired' | 'revoked';
  createdAt: Date;
  retireAt: Date | null;
  revokedAt: Date | null;
  publicJwk: PublicJwk;
}

export interface RevocationResult {
  /** The key as it is now (status `revoked`). */
  revoked: SigningKeyInfo;
  /** Its status before this call: `revoked` when it had been revoked already (nothing changed). */
  was: SigningKeyInfo['status'];
  /** The new active key for its algorithm, when the revoked key was the one signing. */
  replacement: SigningKeyInfo | null;
  /** Whether other nodes were told (KEYS_CHANGED reached Redis, or there is no other node). */
  notified: boolean;
}

export interface SigningKeyServiceDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  audit: AuditService;
  signals: SignalBus;
  logger: Logger;
  /**
   * Refuses when some running node could not open what this process seals (a SECRETS_KEY ring
   * that differs between nodes, SEC-11): checked before an operator adds keys.
   */
  assertSealable?: () => Promise<void>;
  /** How long a replaced key stays published: at least the life of the longest token it signed. */
  retentionMs?: number;
}

const generateKeyPair = promisify(generateKeyPairCb);

/** A fresh key pair (P-256 for ES256, 2048-bit RSA for RS256), generated off the event loop. */
async function generateSigningJwk(alg: SigningAlg): Promise<PrivateJwk> {
  const { privateKey } =
    alg === 'ES256'
      ? await generateKeyPair('ec', { namedCurve: 'P-256' })
      : await generateKeyPair('rsa', { modulusLength: 2048 });
  return toSigningJwk(privateKey.export({ format: 'jwk' }), alg);
}

const info = (row: SigningKeyRow): SigningKeyInfo => ({
  kid: row.kid,
  alg: row.alg,
  status: row.status,
  createdAt: row.createdAt,
  retireAt: row.retireAt,
  revokedAt: row.revokedAt,
  publicJwk: row.publicJwk,
});

/**
 * The provider's signing keys, in SQL, sealed with SECRETS_KEY and shared by every node (issue 3).
 * Private material leaves this module only through `providerJwks`, for the provider.
 */
export function createSigningKeyService(deps: SigningKeyServiceDeps) {
  const { db, clock, box, signals, logger } = deps;
  const { audited } = deps.audit;
  const retentionMs = deps.retentionMs ?? DEFAULT_RETENTION_MS;
  if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
    throw new Error('signing key retention must be a positive number of milliseconds');
  }
  const keys = createSigningKeyRepository(db);
  const contextOf = (kid: string) => `signing_keys:${kid}`;

  function open(row: SigningKeyRow): PrivateJwk {
    let jwk: PrivateJwk;
    try {
      jwk = JSON.parse(box.open(row.privateJwkSealed ?? '', contextOf(row.kid))) as PrivateJwk;
    } catch {
      throw new Error(
        `SECRETS_KEY does not open signing key ${row.kid}; start with the key that sealed the signing keys`,
      );
    }
    if (jwk.kid !== row.kid || jwk.alg !== row.alg) throw new Error(`signing key ${row.kid} is inconsistent`);
    return jwk;
  }

  /** A new active key for `alg`, inside the caller's transaction (which holds the table lock). */
  async function addKey(tx: Tx, alg: SigningAlg, now: Date): Promise<SigningKeyRow> {
    const jwk = await generateSigningJwk(alg);
    const row = {
      kid: jwk.kid,
      alg,
      privateJwkSealed: box.seal(JSON.stringify(jwk), contextOf(jwk.kid)),
      publicJwk: publicPart(jwk),
      status: 'active' as const,
      createdAt: now,
    };
    await createSigningKeyRepository(tx).insert(row);
    return { ...row, retireAt: null, revokedAt: null };
  }

  const missingAlgs = (active: readonly SigningKeyRow[]) =>
    SIGNING_ALGS.filter((alg) => !active.some((row) => row.alg === alg));

  /**
   * At start: makes sure one active ES256 and one active RS256 key exist. Nodes starting together
   * serialize on the table lock and re-check under it, so exactly one of them creates each key.
   */
  async function ensureKeys(): Promise<void> {
    const active = await keys.active();
    if (missingAlgs(active).length === 0) {
      for (const row of active) open(row); // a wrong SECRETS_KEY fails the start, not the first sign-in
      return;
    }
    const created = await db.transaction(async (tx) => {
      const repo = createSigningKeyRepository(tx);
      await repo.lock();
      const now = clock.now();
      const added: SigningKeyRow[] = [];
      for (const alg of missingAlgs(await repo.active())) added.push(await addKey(tx, alg, now));
      return added;
    });
    for (const row of created) logger.info({ kid: row.kid, alg: row.alg }, 'created signing key');
  }

  /**
   * Private JWKs for oidc-provider: active ES256 first (the provider signs with the first key of the
   * algorithm it needs, and ES256 is the default), then active RS256, then retiring keys, which are
   * published for verification only. Keys past their retirement are retired here.
   */
  async function providerJwks(): Promise<{ keys: PrivateJwk[] }> {
    const now = clock.now();
    await keys.retireDue(now);
    const rank = (row: SigningKeyRow) =>
      (row.status === 'active' ? 0 : SIGNING_ALGS.length) + SIGNING_ALGS.indexOf(row.alg);
    const rows = (await keys.published())
      .filter((row) => row.retireAt === null || row.retireAt > now)
      .sort((a, b) => rank(a) - rank(b) || b.createdAt.getTime() - a.createdAt.getTime());
    return { keys: rows.map(open) };
  }

  /**
   * Operator action: a new active key per algorithm; each previous active key keeps being
   * published, for verification only, until its tokens can no longer be valid. Audited, without
   * key material; other nodes hear KEYS_CHANGED after the commit.
   */
  async function rotate(
    ctx: RequestContext,
  ): Promise<{ added: SigningKeyInfo[]; retiring: SigningKeyInfo[]; notified: boolean }> {
    assertOperator(ctx);
    await deps.assertSealable?.();
    const now = clock.now();
    const retireAt = new Date(now.getTime() + retentionMs);
    const result = await db.transaction(async (tx) => {
      const repo = createSigningKeyRepository(tx);
      await repo.lock();
      await repo.retireDue(now);
      const previous = await repo.active();
      const added: SigningKeyInfo[] = [];
      const retiring: SigningKeyInfo[] = [];
      for (const alg of SIGNING_ALGS) {
        for (const old of previous.filter((row) => row.alg === alg)) {
          await repo.markRetiring(old.kid, retireAt);
          retiring.push(info({ ...old, status: 'retiring', retireAt }));
        }
        added.push(info(await addKey(tx, alg, now)));
      }
      const after = {
        added: added.map(({ kid, alg }) => ({ kid, alg })),
        retiring: retiring.map(({ kid, alg }) => ({ kid, alg, retireAt })),
      };
      await audited(tx, ctx, 'signing_keys.rotate', { tenantId: null }, null, after);
      return { added, retiring };
    });
    const summary = {
      added: result.added.map((k) => k.kid),
      retiring: result.retiring.map((k) => k.kid),
    };
    logger.info(summary, 'rotated signing keys');
    const notified = await tellNodes(now, summary, 'signing keys rotated');
    return { ...result, notified };
  }

  /**
   * SEC-11, operator action for a compromised key: the key stops being published and used at once
   * (no retention), its private half is erased, and if it was signing, a new active key for its
   * algorithm replaces it in the same transaction. Revoking a revoked key changes nothing and
   * succeeds (an incident script may run twice), but tells the nodes again, in case they missed it.
   */
  async function revoke(ctx: RequestContext, kid: string): Promise<RevocationResult> {
    assertOperator(ctx);
    await deps.assertSealable?.();
    // kid is varchar(64); a NUL byte would be a database error rather than "no such key".
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 64 || kid.includes('\0'))
      throw new AppError('signing_key.not_found', { kid });
    const now = clock.now();
    const result = await db.transaction(async (tx) => {
      const repo = createSigningKeyRepository(tx);
      await repo.lock();
      await repo.retireDue(now);
      const found = await repo.find(kid);
      if (!found) throw new AppError('signing_key.not_found', { kid });
      if (found.status === 'revoked') return { revoked: info(found), was: found.status, replacement: null };
      await repo.markRevoked(kid, now);
      const replacement = found.status === 'active' ? info(await addKey(tx, found.alg, now)) : null;
      const revoked = info((await repo.find(kid))!);
      const { alg } = found;
      const replacedBy = replacement && { kid: replacement.kid, alg: replacement.alg };
      const after = { kid, alg, status: 'revoked', replacement: replacedBy };
      const target = { tenantId: null, type: 'signing_key', id: kid };
      await audited(tx, ctx, 'signing_keys.revoke', target, { kid, alg, status: found.status }, after);
      return { revoked, was: found.status, replacement };
    });
    const summary = { revoked: kid, was: result.was, replacement: result.replacement?.kid ?? null };
    if (result.was !== 'revoked') logger.info(summary, 'revoked a signing key');
    const notified = await tellNodes(now, summary, 'signing key revoked');
    return { ...result, notified };
  }

  /** KEYS_CHANGED after the commit: every node rebuilds its provider from the database. */
  async function tellNodes(now: Date, summary: object, what: string): Promise<boolean> {
    try {
      await signals.publish(KEYS_CHANGED, JSON.stringify({ at: now.toISOString() }));
      return true;
    } catch (err) {
      logger.warn({ err, ...summary }, `${what}, but other nodes could not be told`);
      return false;
    }
  }

  /** Every key, newest first, without private material. */
  async function list(): Promise<SigningKeyInfo[]> {
    await keys.retireDue(clock.now());
    return (await keys.all()).map(info);
  }

  return { ensureKeys, providerJwks, rotate, revoke, list };
}

export type SigningKeyService = ReturnType<typeof createSigningKeyService>;
