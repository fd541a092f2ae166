import { hkdfSync } from 'node:crypto';

/**
 * The label that separates cookie keys from every other use of SECRETS_KEY. Changing it signs
 * every session and interaction cookie out at once: bump the version only on purpose.
 */
export const COOKIE_KEY_INFO = 'canopy cookie signing v1';

/**
 * Keys for signing the provider's cookies (`cookies.keys`), derived from SECRETS_KEY with
 * HKDF-SHA256: every node with the same SECRETS_KEY derives the same keys, so any node accepts a
 * cookie another node set, and nothing node-local is needed. The first key signs; any later ones
 * only verify.
 */
export function deriveCookieKeys(secretsKey: Buffer): string[] {
  if (secretsKey.length !== 32) throw new Error('SECRETS_KEY must be exactly 32 bytes');
  const key = Buffer.from(hkdfSync('sha256', secretsKey, Buffer.alloc(0), COOKIE_KEY_INFO, 32));
  return [key.toString('base64url')];
}
