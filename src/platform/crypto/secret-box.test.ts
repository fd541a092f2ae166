import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSecretBox, keyIdOf, parseSecretsKey, parseSecretsKeyRing, sealedKeyId } from './secret-box.ts';

const CONTEXT = 'client_credentials:0123456789abcdef0123456789abcdef';

/** Flips one bit of the given part (0 = version … 4 = tag) of a sealed secret. */
function tamper(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('secret box (AES-256-GCM)', () => {
  test('CRED-6 a sealed secret opens to the same plaintext and does not contain it', () => {
    const box = createSecretBox(randomBytes(32));
    const secret = 'xk3Qv-s3cret-value_with.dots and spaces ✓';
    const sealed = box.seal(secret, CONTEXT);
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/);
    assert.equal(sealed.includes(secret), false);
    assert.equal(sealed.includes(Buffer.from(secret).toString('base64url')), false);
    assert.equal(box.open(sealed, CONTEXT), secret);
  });

  test('CRED-6 the empty string round-trips', () => {
    const box = createSecretBox(randomBytes(32));
    assert.equal(box.open(box.seal('', CONTEXT), CONTEXT), '');
  });

  test('CRED-6 two seals of the same plaintext differ (fresh IV each time)', () => {
    const box = createSecretBox(randomBytes(32));
    const a = box.seal('same secret', CONTEXT);
    const b = box.seal('same secret', CONTEXT);
    assert.notEqual(a, b);
    assert.notEqual(a.split('.')[2], b.split('.')[2], 'IVs must differ');
    assert.equal(box.open(a, CONTEXT), 'same secret');
    assert.equal(box.open(b, CONTEXT), 'same secret');
  });

  test('CRED-6 a secret sealed for one row does not open for another (context is authenticated)', () => {
    const box = createSecretBox(randomBytes(32));
    const sealed = box.seal('secret', 'client_credentials:aaaa');
    assert.throws(() => box.open(sealed, 'client_credentials:bbbb'));
    assert.throws(() => box.open(sealed, ''));
  });

  test('CRED-6 tampering with the ciphertext, tag or IV is detected', () => {
    const box = createSecretBox(randomBytes(32));
    const sealed = box.seal('a secret long enough to tamper with', CONTEXT);
    for (const part of [2, 3, 4]) {
      assert.throws(() => box.open(tamper(sealed, part), CONTEXT), `part ${part} tampered`);
    }
    assert.throws(() => box.open(sealed.split('.').slice(0, 4).join('.'), CONTEXT), /unreadable/);
    assert.throws(() => box.open(sealed.replace(/^v1\./, 'v2.'), CONTEXT), /unreadable/);
    assert.throws(() => box.open('not a sealed secret', CONTEXT), /unreadable/);
  });

  test('CRED-6 a different key cannot open the secret, and the error names SECRETS_KEY', () => {
    const sealed = createSecretBox(randomBytes(32)).seal('secret', CONTEXT);
    const other = createSecretBox(randomBytes(32));
    assert.throws(() => other.open(sealed, CONTEXT), /SECRETS_KEY/);
  });

  test('CRED-6 a different key still fails when the key id is forged to match', () => {
    const owner = createSecretBox(randomBytes(32));
    const other = createSecretBox(randomBytes(32));
    const parts = owner.seal('secret', CONTEXT).split('.');
    parts[1] = other.keyId;
    assert.throws(() => other.open(parts.join('.'), CONTEXT));
  });

  test('the key id is derived from the key: same key, same id; other key, other id', () => {
    const key = randomBytes(32);
    assert.equal(createSecretBox(key).keyId, createSecretBox(Buffer.from(key)).keyId);
    assert.notEqual(createSecretBox(key).keyId, createSecretBox(randomBytes(32)).keyId);
  });

  test('only 32-byte keys are accepted', () => {
    assert.throws(() => createSecretBox(randomBytes(16)), /32 bytes/);
    assert.throws(() => createSecretBox(randomBytes(33)), /32 bytes/);
  });

  test('parseSecretsKey reads 64 hex characters or base64 of 32 bytes, and refuses other lengths', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseSecretsKey(key.toString('hex')), key);
    assert.deepEqual(parseSecretsKey(key.toString('hex').toUpperCase()), key);
    assert.deepEqual(parseSecretsKey(key.toString('base64')), key);
    assert.deepEqual(parseSecretsKey(key.toString('base64url')), key);
    assert.throws(() => parseSecretsKey(randomBytes(16).toString('hex')), /SECRETS_KEY/);
    assert.throws(() => parseSecretsKey(randomBytes(31).toString('base64')), /SECRETS_KEY/);
  });

  test('SEC-11 a ring seals with its first key and opens what any of its keys sealed', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const oldBox = createSecretBox(a);
    const ring = createSecretBox([b, a]);
    assert.deepEqual(ring.keyIds, [keyIdOf(b), keyIdOf(a)]);
    assert.equal(ring.keyId, keyIdOf(b));
    const old = oldBox.seal('old', CONTEXT);
    const fresh = ring.seal('fresh', CONTEXT);
    assert.equal(sealedKeyId(old), keyIdOf(a));
    assert.equal(sealedKeyId(fresh), keyIdOf(b));
    assert.equal(ring.open(old, CONTEXT), 'old');
    assert.equal(ring.open(fresh, CONTEXT), 'fresh');
    assert.throws(() => oldBox.open(fresh, CONTEXT), new RegExp(`key ${keyIdOf(b)}.*SECRETS_KEY`));
    assert.equal(sealedKeyId('not sealed'), undefined);
  });

  test('SEC-11 parseSecretsKeyRing reads commas and lines, skips comments, refuses an empty ring', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    assert.deepEqual(
      parseSecretsKeyRing(`# ring\n${a.toString('hex')}\n\n${b.toString('base64')} # older\n`),
      [a, b],
    );
    assert.deepEqual(parseSecretsKeyRing(`${a.toString('hex')},${b.toString('hex')}`), [a, b]);
    assert.throws(() => parseSecretsKeyRing('# nothing here\n'), /no key/);
  });
});
