import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSignalledCache } from './signalled-cache.ts';

// REL-2: a cache kept fresh by change signals is not used while signals cannot be heard, is
// emptied when they can again, and never keeps what a lookup read across a signalled change.

function setup() {
  let live = true;
  const resync: Array<() => void> = [];
  let stored = 'v1';
  let loads = 0;
  const cache = createSignalledCache<string>({
    link: { isLive: () => live, onResync: (h) => resync.push(h) },
    now: () => 0,
    ttlMs: 60_000,
    maxEntries: 100,
  });
  const load = async () => {
    loads++;
    return stored;
  };
  return {
    cache,
    get: () => cache.get('client', load),
    set: (value: string) => {
      stored = value;
    },
    setLive: (value: boolean) => {
      live = value;
    },
    resync: () => {
      for (const h of resync) h();
    },
    loads: () => loads,
  };
}

test('REL-2 while the link is live, entries are kept until a change is signalled', async () => {
  const s = setup();
  assert.equal(await s.get(), 'v1');
  s.set('v2');
  assert.equal(await s.get(), 'v1', 'kept: no change was signalled');
  s.cache.forget('client');
  assert.equal(await s.get(), 'v2');
  assert.equal(s.loads(), 2);
});

test('REL-2 while the link is down, every lookup reads the store, and nothing is kept', async () => {
  const s = setup();
  await s.get();
  s.setLive(false);
  s.set('rotated'); // a change on another node whose signal this node cannot hear
  assert.equal(await s.get(), 'rotated');
  assert.equal(await s.get(), 'rotated');
  assert.equal(s.loads(), 3);
  s.setLive(true);
  assert.equal(await s.get(), 'rotated', 'what was cached before the break is gone');
  assert.equal(s.loads(), 4);
});

test('REL-2 a resync empties the cache', async () => {
  const s = setup();
  await s.get();
  s.set('v2');
  s.resync();
  assert.equal(await s.get(), 'v2');
});

test('REL-2 a lookup that read across a signalled change answers its request but is not kept', async () => {
  const s = setup();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const slow = s.cache.get('client', async () => {
    await gate; // read before the change committed…
    return 'before';
  });
  s.set('after');
  s.cache.forget('client'); // …signalled while the read was under way
  release();
  assert.equal(await slow, 'before');
  assert.equal(await s.get(), 'after', 'the stale read was not kept');
});
