import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookiePolicy } from './cookie-options.ts';

test('SEC-8 https PUBLIC_URL: Secure, __Host- at Path=/, __Secure- on a narrower path, HttpOnly and Lax', () => {
  const policy = cookiePolicy('https://id.example.com');
  assert.equal(policy.secure, true);
  assert.equal(policy.name('canopy_device'), '__Host-canopy_device');
  assert.equal(policy.name('canopy_interaction', '/interaction/'), '__Secure-canopy_interaction');
  assert.deepEqual(policy.attributes(), { httpOnly: true, sameSite: 'lax', secure: true, path: '/' });
  assert.deepEqual(policy.attributes('/interaction/'), {
    httpOnly: true,
    sameSite: 'lax',
    secure: true,
    path: '/interaction/',
  });
});

test('SEC-8 http PUBLIC_URL (the local quick start): no Secure and no prefix, which browsers refuse over http', () => {
  const policy = cookiePolicy('http://localhost:3000');
  assert.equal(policy.secure, false);
  assert.equal(policy.name('canopy_device'), 'canopy_device');
  assert.equal(policy.name('canopy_interaction', '/interaction/'), 'canopy_interaction');
  assert.deepEqual(policy.attributes(), { httpOnly: true, sameSite: 'lax', secure: false, path: '/' });
});

test('SEC-8 the scheme is read as a URL scheme, not a string prefix', () => {
  assert.equal(cookiePolicy('HTTPS://ID.EXAMPLE.COM').secure, true);
});
