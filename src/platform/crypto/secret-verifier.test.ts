import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSecretVerifier, type StoredSecrets } from './secret-verifier.ts';

function setup() {
  let now = 0;
  const loads: string[] = [];
  const stored = new Map<string, StoredSecrets<string>>([
    [
      'app',
      {
        current: 'new-secret',
        previous: 'old-secret',
        previousExpiresAt: new Date(10_000),
        data: 'tenant-a',
      },
    ],
  ]);
  const verifier = createSecretVerifier<string>({
    now: () => now,
    link: { isLive: () => true, onResync: () => {} },
    ttlMs: 1_000,
    load: async (id) => {
      loads.push(id);
      return stored.get(id);
    },
  });
  return { verifier, loads, stored, advance: (ms: number) => (now += ms) };
}

test('CRED-6 the current secret, or the previous one inside its grace period, verifies; nothing else does', async () => {
  const { verifier, advance } = setup();
  assert.equal(await verifier.verify('app', 'new-secret'), 'tenant-a');
  assert.equal(await verifier.verify('app', 'old-secret'), 'tenant-a');
  assert.equal(await verifier.verify('app', 'new-secretx'), undefined);
  assert.equal(await verifier.verify('app', ''), undefined);
  assert.equal(await verifier.verify('nobody', 'new-secret'), undefined);
  advance(10_000);
  assert.equal(await verifier.verify('app', 'old-secret'), undefined, 'the grace period is over');
  assert.equal(await verifier.verify('app', 'new-secret'), 'tenant-a');
});

test('CRED-5 secrets are read once per period, and a forgotten client is read again at once', async () => {
  const { verifier, loads, stored, advance } = setup();
  await verifier.verify('app', 'new-secret');
  await verifier.verify('app', 'new-secret');
  assert.equal(loads.length, 1);
  stored.set('app', { current: 'rotated', previous: null, previousExpiresAt: null, data: 'tenant-a' });
  verifier.forget('app');
  assert.equal(await verifier.verify('app', 'new-secret'), undefined);
  assert.equal(await verifier.verify('app', 'rotated'), 'tenant-a');
  assert.equal(loads.length, 2);
  advance(1_000);
  await verifier.verify('app', 'rotated');
  assert.equal(loads.length, 3, 'an entry lives at most the period');
  verifier.clear();
  await verifier.verify('app', 'rotated');
  assert.equal(loads.length, 4);
});
