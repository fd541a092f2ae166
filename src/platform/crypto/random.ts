import { randomBytes, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

/** URL-safe random string carrying `bytes * 8` bits. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Client IDs: 128 random bits as 32 hex characters, unique across the installation. */
export function newClientId(): string {
  return randomBytes(16).toString('hex');
}

/** Client secrets: 256 random bits (CRED-1). */
export function newClientSecret(): string {
  return randomToken(32);
}
