import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { COOKIE_KEY_INFO, deriveCookieKeys } from './cookie-keys.ts';

/** RFC 5869 written out with HMAC, so the test does not trust the function it checks. */
function referenceHkdf(ikm: Buffer, info: string): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(32)).update(ikm).digest();
  return createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([1])]))
    .digest();
}

describe('cookie keys derived from SECRETS_KEY', () => {
  test('the same SECRETS_KEY gives the same keys (every node agrees)', () => {
    const secretsKey = randomBytes(32);
    const onOneNode = deriveCookieKeys(secretsKey);
    const onAnother = deriveCookieKeys(Buffer.from(secretsKey));
    assert.deepEqual(onOneNode, onAnother);
    assert.ok(onOneNode.length >= 1 && onOneNode.length <= 2);
    for (const key of onOneNode) assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  });

  test('different SECRETS_KEYs give different keys', () => {
    const a = deriveCookieKeys(randomBytes(32));
    const b = deriveCookieKeys(randomBytes(32));
    assert.notEqual(a[0], b[0]);
  });

  test('HKDF-SHA256 with the versioned label, never the secrets key itself', () => {
    const secretsKey = Buffer.from('a'.repeat(64), 'hex');
    const [key] = deriveCookieKeys(secretsKey);
    assert.equal(COOKIE_KEY_INFO, 'canopy cookie signing v1');
    assert.equal(key, referenceHkdf(secretsKey, COOKIE_KEY_INFO).toString('base64url'));
    assert.notEqual(key, referenceHkdf(secretsKey, 'canopy cookie signing v2').toString('base64url'));
    assert.notEqual(key, secretsKey.toString('base64url'));
  });

  test('a key of the wrong size is refused', () => {
    assert.throws(() => deriveCookieKeys(randomBytes(16)), /32 bytes/);
  });
});
