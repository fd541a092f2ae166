import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '../platform/clock.ts';

/**
 * CSRF protection for every form Canopy renders: stateless synchronizer tokens, bound to a purpose
 * and an expiry, so any node holding the key verifies them and nothing is stored.
 *
 *   K     = HKDF-SHA256(ikm = the key material given, salt = "canopy/web", info = "csrf/v1"), 32 bytes
 *   token = "<exp>.<nonce>.<mac>"   exp: unix seconds; nonce: 12 random bytes, base64url
 *   mac   = base64url(HMAC-SHA256(K, "canopy-csrf/v1\n<exp>\n<nonce>\n<purpose>"))
 *
 * The purpose is never in the token: the verifier supplies it from its own context, so a token made
 * for one purpose fails for any other. Purposes say what a token is bound to:
 * - `interaction:<uid>` (see `interactionPurpose`): interaction pages. The uid is unguessable and a
 *   request for it only works with the provider's interaction cookie (`canopy_interaction`,
 *   `__Secure-` prefixed on https; see oidc/provider-cookies.ts), which is scoped to that
 *   interaction's path, so the token is tied to one interaction in one browser.
 * - `signup:<browser id>`: `/signup`. The browser id is a random value in an httpOnly, SameSite=Lax
 *   cookie (`__Host-` prefixed on https, so subdomains cannot plant one); see `browser-id.ts`.
 *   A cross-site page can read neither the cookie nor a token made for it.
 * Verification checks the shape, recomputes the MAC and compares it with `timingSafeEqual`
 * (constant time), then the expiry. A token may be reused until it expires: it only ever works for
 * the browser or interaction it is bound to.
 */
export const CSRF_FIELD = 'csrf';
export const DEFAULT_CSRF_TTL_SECONDS = 2 * 60 * 60;

export type CsrfCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'forged' | 'expired' };

export interface Csrf {
  /** A token for `purpose`, valid for `ttlSeconds` (default two hours). */
  issue(purpose: string, ttlSeconds?: number): string;
  /** Whether `token` (any value, e.g. straight from a form body) is a live token for `purpose`. */
  verify(token: unknown, purpose: string): CsrfCheck;
}

export function interactionPurpose(uid: string): string {
  return `interaction:${uid}`;
}

const TOKEN = /^(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export function createCsrf(options: {
  /** Key material: one key, or a ring whose first key issues and every key verifies (SEC-11). */
  key: Buffer | readonly Buffer[];
  clock?: Clock;
  ttlSeconds?: number;
}): Csrf {
  const material = Buffer.isBuffer(options.key) ? [options.key] : (options.key ?? []);
  if (material.length === 0 || material.some((k) => !Buffer.isBuffer(k) || k.length < 32)) {
    throw new Error('the CSRF key material must be a Buffer of at least 32 bytes');
  }
  const keys = material.map((k) => Buffer.from(hkdfSync('sha256', k, 'canopy/web', 'csrf/v1', 32)));
  const clock = options.clock ?? systemClock;
  const defaultTtl = options.ttlSeconds ?? DEFAULT_CSRF_TTL_SECONDS;
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  const mac = (key: Buffer, exp: string, nonce: string, purpose: string) =>
    createHmac('sha256', key).update(`canopy-csrf/v1\n${exp}\n${nonce}\n${purpose}`, 'utf8').digest();

  return {
    issue(purpose, ttlSeconds = defaultTtl) {
      const exp = String(nowSeconds() + ttlSeconds);
      const nonce = randomBytes(12).toString('base64url');
      return `${exp}.${nonce}.${mac(keys[0]!, exp, nonce, purpose).toString('base64url')}`;
    },
    verify(token, purpose) {
      if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' };
      const parts = TOKEN.exec(token);
      if (!parts) return { ok: false, reason: 'malformed' };
      const [, exp, nonce, given] = parts as unknown as [string, string, string, string];
      const givenMac = Buffer.from(given, 'base64url');
      const genuine = keys.some((key) => {
        const expected = mac(key, exp, nonce, purpose);
        return givenMac.length === expected.length && timingSafeEqual(givenMac, expected);
      });
      if (!genuine) return { ok: false, reason: 'forged' };
      if (Number(exp) <= nowSeconds()) return { ok: false, reason: 'expired' };
      return { ok: true };
    },
  };
}
