import { createHash } from 'node:crypto';
import { randomToken } from '../../platform/crypto/random.ts';

/**
 * Invitation links carry an opaque token: 256 random bits, base64url (43 characters). Only its
 * SHA-256 (hex) is stored. A hash without salt or stretching is enough for a value with that much
 * entropy (ASVS 6.5.2), and lets the link find its invitation in one indexed lookup.
 */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newInvitationToken(): { token: string; tokenHash: string } {
  const token = randomToken(32);
  return { token, tokenHash: hashInvitationToken(token) };
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a value could be a token at all: anything else names no invitation, without a lookup. */
export function isInvitationToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}
