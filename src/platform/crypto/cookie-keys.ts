import { hkdfSync } from 'node:crypto';

/**
 * The label that separates cookie keys from every other use of SECRETS_KEY. Changing it signs
 * every session and interaction cookie out at once: bump the version only on purpose.
 */
export const COOKIE_KEY_INFO = 'canopy cookie signing v1';

/**
 * Keys for signing the provider's cookies (`cookies.keys`), derived from the SECRETS_KEY ring with
 * HKDF-SHA256, one per ring key in ring order: every node with the same ring derives the same keys,
 * so any node accepts a cookie another node set, and nothing node-local is needed. oidc-provider
 * signs with the first and verifies with any, so a cookie signed before a rotation stays good
 * until its key leaves the ring (SEC-11).
 */
export function deriveCookieKeys(ring: Buffer | readonly Buffer[]): string[] {
  const keys = Buffer.isBuffer(ring) ? [ring] : ring;
  return keys.map((secretsKey) => {
    if (secretsKey.length !== 32) throw new Error('SECRETS_KEY must be exactly 32 bytes');
    return Buffer.from(hkdfSync('sha256', secretsKey, Buffer.alloc(0), COOKIE_KEY_INFO, 32)).toString(
      'base64url',
    );
  });
}

/**
 * Root keys of the web pages (CSRF tokens, device cookies), one per ring key in ring order: the
 * first makes tokens, every one verifies them, so a rotation does not void a form being filled in.
 */
export function deriveWebKeys(ring: readonly Buffer[]): Buffer[] {
  return ring.map((key) => Buffer.from(hkdfSync('sha256', key, 'canopy', 'web pages root key v1', 32)));
}
