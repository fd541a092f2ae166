import { createHmac } from 'node:crypto';

/** Says what the value is, so that a reader of the audit log knows how to check a name against it. */
export const USERNAME_HASH_PREFIX = 'hmac-sha256:';

/**
 * SEC-12: how a failed sign-in records a username that names no account — it may be a password
 * typed into the wrong field. HMAC-SHA256 of the username exactly as it reached the sign-in service,
 * truncated to 16 bytes (base64url): whoever holds the key (derived from the installation key, see
 * pseudonym-keys.ts) can check a suspected name; nobody else can read or guess it.
 */
export function usernameHash(key: Buffer, username: string): string {
  const mac = createHmac('sha256', key).update(username, 'utf8').digest().subarray(0, 16);
  return `${USERNAME_HASH_PREFIX}${mac.toString('base64url')}`;
}
