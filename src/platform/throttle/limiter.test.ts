import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { createLimiters, type Limit, retryAfterSeconds } from './limiter.ts';

// The primitives every throttle is made of, on the one store that needs no server: a refusal is an
// answer, not an exception, and the take that went over says so once per window.

const limiters = createLimiters({
  db: undefined as unknown as Db, // the node store without Redis touches no database
  clock: systemClock,
});
const limit: Limit = { name: 'test', points: 2, windowSeconds: 60, store: 'node' };

test('a take over the limit is refused, counted, and named as the one that went over only once', async () => {
  const limiter = limiters(limit);
  assert.deepEqual(
    [await limiter.take('k'), await limiter.take('k')].map((c) => [c.within, c.consumed, c.wentOver]),
    [
      [true, 1, false],
      [true, 2, false],
    ],
  );
  const over = await limiter.take('k');
  assert.deepEqual([over.within, over.consumed, over.wentOver], [false, 3, true]);
  assert.ok(over.msBeforeNext > 0 && over.msBeforeNext <= 60_000);
  const again = await limiter.take('k');
  assert.deepEqual([again.within, again.wentOver], [false, false]);
  assert.equal((await limiter.take('other')).within, true, 'keys count apart');
});

test('given back, points count no more; forgotten, the key starts again; a penalty is never refused', async () => {
  const limiter = limiters(limit);
  await limiter.take('k', 2);
  await limiter.giveBack('k');
  assert.equal((await limiter.peek('k'))?.consumed, 1);
  assert.equal((await limiter.take('k')).within, true);
  await limiter.forget('k');
  assert.equal(await limiter.peek('k'), undefined);
  const penalized = await limiter.penalty('k', 3);
  assert.deepEqual([penalized.within, penalized.consumed], [false, 3], 'a penalty is counted, never refused');
});

test('a blocked key is refused for the block', async () => {
  const limiter = limiters(limit);
  await limiter.block('k', 600);
  const refused = await limiter.take('k');
  assert.equal(refused.within, false);
  assert.ok(refused.msBeforeNext > 60_000, 'the block, not the window');
});

test('Retry-After is whole seconds, at least one', () => {
  assert.deepEqual([0, 1, 999, 1000, 1001].map(retryAfterSeconds), [1, 1, 1, 1, 2]);
});
