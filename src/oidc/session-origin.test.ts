import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { createSessionOrigins } from './session-origin.ts';

// ACC-5: the Session adapter, given no request, sees the browser and network of the request being
// served — the network only (networks.ts), never the address — and nothing outside a request.

const request = (ip: string, userAgent: string) =>
  ({ ip, get: (name: string) => (name === 'user-agent' ? userAgent : '') }) as unknown as KoaContextWithOIDC;

test('ACC-5 a session is recorded with the network and browser of the request that signed in', async () => {
  const origins = createSessionOrigins();
  assert.equal(origins.current(), undefined, 'outside a request');
  const seen: unknown[] = [];
  await origins.requestScope(request('::ffff:198.51.100.23', 'Firefox'), async () => {
    seen.push(origins.current());
  });
  await origins.requestScope(request('2001:db8:abcd:12::1', 'x'.repeat(300)), async () => {
    seen.push(origins.current());
  });
  await origins.requestScope(request('', ''), async () => {
    seen.push(origins.current());
  });
  assert.deepEqual(seen, [
    { userAgent: 'Firefox', sourceNetwork: '198.51.100.0/24' },
    { userAgent: 'x'.repeat(256), sourceNetwork: '2001:db8:abcd::/48' },
    { userAgent: null, sourceNetwork: null },
  ]);
});
