import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/**
 * Authenticated encryption of secrets at rest (AES-256-GCM) under a key ring (SEC-11). The first
 * key seals; every key of the ring opens what it sealed, found by the key id each value carries.
 * The additional data binds a ciphertext to the row it belongs to, so a secret copied onto another
 * row does not decrypt.
 * Format: v1.<key id>.<iv>.<ciphertext>.<tag>, each part base64url.
 */
export interface SecretBox {
  /** The id of the key that seals. */
  readonly keyId: string;
  /** Every key id of the ring, the sealing key first. */
  readonly keyIds: readonly string[];
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

/**
 * A key's id: the start of its SHA-256. Derived, never chosen, so one id can never name two keys,
 * and a sealed value names the key it needs without revealing anything about it.
 */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/** The key id a sealed value names, or undefined when it is not one of ours. */
export function sealedKeyId(sealed: string): string | undefined {
  const [version, kid] = sealed.split('.', 2);
  return version === 'v1' && kid ? kid : undefined;
}

export function parseSecretsKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('SECRETS_KEY must decode to exactly 32 bytes');
  return key;
}

/** Most keys a ring holds: enough for a rotation in progress, few enough to notice a forgotten one. */
export const MAX_RING_KEYS = 8;

/**
 * A key ring as written in SECRETS_KEY or secrets.key: keys separated by commas or line breaks,
 * the sealing key first; in the file, `#` starts a comment.
 */
export function parseSecretsKeyRing(text: string): Buffer[] {
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, ''))
    .join(',')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('SECRETS_KEY holds no key');
  if (entries.length > MAX_RING_KEYS) throw new Error(`SECRETS_KEY holds more than ${MAX_RING_KEYS} keys`);
  const keys = entries.map(parseSecretsKey);
  const ids = keys.map(keyIdOf);
  if (new Set(ids).size !== ids.length) throw new Error('SECRETS_KEY holds the same key twice');
  return keys;
}

export function createSecretBox(ring: Buffer | readonly Buffer[]): SecretBox {
  const keys = Buffer.isBuffer(ring) ? [ring] : [...ring];
  if (keys.length === 0) throw new Error('a secret box needs at least one key');
  // One key object per key for every call: importing raw key bytes on each decryption costs most of its time.
  const byId = new Map<string, KeyObject>();
  for (const key of keys) {
    if (key.length !== 32) throw new Error('secret box key must be 32 bytes');
    byId.set(keyIdOf(key), createSecretKey(key));
  }
  const keyIds = [...byId.keys()];
  const keyId = keyIds[0]!;
  const sealingKey = byId.get(keyId)!;
  return {
    keyId,
    keyIds,
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealingKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        'v1',
        keyId,
        iv.toString('base64url'),
        body.toString('base64url'),
        tag.toString('base64url'),
      ].join('.');
    },
    open(sealed, context) {
      const [version, kid, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !kid || !iv || body === undefined || !tag)
        throw new Error('unreadable sealed secret');
      const key = byId.get(kid);
      if (!key) throw new Error(`secret was sealed with key ${kid}, which SECRETS_KEY does not hold`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
