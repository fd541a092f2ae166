import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { describe, mock, test } from 'node:test';
import { createTestClock } from '../platform/clock.ts';
import { createCsrf, DEFAULT_CSRF_TTL_SECONDS, interactionPurpose } from './csrf.ts';

const KEY = Buffer.alloc(32, 7);

function setup(ttlSeconds?: number) {
  const clock = createTestClock();
  return { clock, csrf: createCsrf({ key: KEY, clock, ttlSeconds }) };
}

/** Replaces one character of a token part with another valid base64url/decimal character. */
function flip(token: string, part: number): string {
  const parts = token.split('.');
  const p = parts[part]!;
  const last = p.at(-2)!; // not the very last: its low bits may be padding in base64url
  const swapped = part === 0 ? String((Number(last) + 1) % 10) : last === 'A' ? 'B' : 'A';
  parts[part] = p.slice(0, -2) + swapped + p.slice(-1);
  return parts.join('.');
}

describe('CSRF tokens', () => {
  test('a token verifies for its own purpose, many times, until it expires', () => {
    const { csrf } = setup();
    const token = csrf.issue('signup:browser-1');
    assert.match(token, /^\d+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(csrf.verify(token, 'signup:browser-1'), { ok: true });
    assert.deepEqual(csrf.verify(token, 'signup:browser-1'), { ok: true });
  });

  test('two tokens for one purpose differ (random nonce)', () => {
    const { csrf } = setup();
    assert.notEqual(csrf.issue('p'), csrf.issue('p'));
  });

  test('a token for another purpose (other browser, other interaction) is refused', () => {
    const { csrf } = setup();
    const token = csrf.issue(interactionPurpose('uid-a'));
    assert.deepEqual(csrf.verify(token, interactionPurpose('uid-b')), { ok: false, reason: 'forged' });
    assert.deepEqual(csrf.verify(token, 'signup:uid-a'), { ok: false, reason: 'forged' });
    assert.deepEqual(csrf.verify(csrf.issue('signup:x'), 'signup:y'), { ok: false, reason: 'forged' });
  });

  test('a tampered expiry, nonce or MAC is refused', () => {
    const { csrf } = setup();
    const token = csrf.issue('p');
    for (const part of [0, 1, 2]) {
      assert.deepEqual(csrf.verify(flip(token, part), 'p'), { ok: false, reason: 'forged' }, `part ${part}`);
    }
    const [exp, nonce, mac] = token.split('.') as [string, string, string];
    const later = `${Number(exp) + 86_400}.${nonce}.${mac}`;
    assert.deepEqual(csrf.verify(later, 'p'), { ok: false, reason: 'forged' });
  });

  test('a token made with another key is refused; the key is HKDF-derived, never used raw', () => {
    const { csrf, clock } = setup();
    const other = createCsrf({ key: Buffer.alloc(32, 8), clock });
    assert.deepEqual(other.verify(csrf.issue('p'), 'p'), { ok: false, reason: 'forged' });
    const token = csrf.issue('p');
    const [exp, nonce, mac] = token.split('.') as [string, string, string];
    const rawKeyMac = crypto
      .createHmac('sha256', KEY)
      .update(`canopy-csrf/v1\n${exp}\n${nonce}\np`)
      .digest('base64url');
    assert.notEqual(mac, rawKeyMac);
  });

  test('a token expires after its lifetime (two hours by default)', () => {
    const { csrf, clock } = setup();
    const token = csrf.issue('p');
    clock.advance((DEFAULT_CSRF_TTL_SECONDS - 1) * 1000);
    assert.deepEqual(csrf.verify(token, 'p'), { ok: true });
    clock.advance(1000);
    assert.deepEqual(csrf.verify(token, 'p'), { ok: false, reason: 'expired' });
    const short = csrf.issue('p', 60);
    clock.advance(61_000);
    assert.deepEqual(csrf.verify(short, 'p'), { ok: false, reason: 'expired' });
  });

  test('missing and malformed tokens are refused without throwing', () => {
    const { csrf } = setup();
    for (const missing of [undefined, null, '', 42, ['a'], { a: 1 }]) {
      assert.deepEqual(csrf.verify(missing, 'p'), { ok: false, reason: 'missing' });
    }
    const token = csrf.issue('p');
    for (const bad of [
      'x',
      `${token}.x`,
      token.slice(0, -1),
      `${token}A`,
      token.replaceAll('.', ','),
      'a'.repeat(10_000),
    ]) {
      assert.deepEqual(csrf.verify(bad, 'p'), { ok: false, reason: 'malformed' }, bad.slice(0, 40));
    }
  });

  test('the MAC is compared with crypto.timingSafeEqual (constant time)', (t) => {
    const { csrf } = setup();
    const token = csrf.issue('p');
    const spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports(); // the module's named import now sees the spy
    t.after(() => {
      spy.mock.restore();
      syncBuiltinESMExports();
    });
    assert.equal(csrf.verify(token, 'p').ok, true);
    assert.equal(csrf.verify(flip(token, 2), 'p').ok, false);
    assert.equal(spy.mock.callCount(), 2);
    const [given, expected] = spy.mock.calls[1]!.arguments as [Buffer, Buffer];
    assert.equal(given.length, 32);
    assert.equal(expected.length, 32);
  });

  test('key material shorter than 32 bytes is refused', () => {
    assert.throws(() => createCsrf({ key: Buffer.alloc(16) }), /at least 32 bytes/);
    assert.throws(() => createCsrf({ key: undefined as unknown as Buffer }), /at least 32 bytes/);
  });

  test('SEC-11 with a key ring the first key issues and every key verifies; a key that left the ring does not', () => {
    const clock = createTestClock();
    const older = Buffer.alloc(32, 1);
    const newer = Buffer.alloc(32, 2);
    const before = createCsrf({ key: [older], clock }).issue('p');
    const during = createCsrf({ key: [newer, older], clock });
    assert.deepEqual(during.verify(before, 'p'), { ok: true });
    const made = during.issue('p');
    assert.deepEqual(createCsrf({ key: [newer], clock }).verify(made, 'p'), { ok: true });
    assert.deepEqual(createCsrf({ key: [newer], clock }).verify(before, 'p'), {
      ok: false,
      reason: 'forged',
    });
    assert.throws(() => createCsrf({ key: [] }), /at least 32 bytes/);
  });
});
