import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { systemClock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { createLimiters, type LimitStore } from './limiter.ts';

// Which store each kind of limit counts in, whatever Redis does: `durable` never asks Redis (REL-3);
// `window` counts in Redis, and in SQL when Redis is not ready (without asking it) or fails; `node`
// counts in Redis, and in this node's memory when Redis fails (asking it even while it reconnects:
// that is the client's to judge). Redis and the database are stand-ins that record what they are asked.

type RedisState = 'absent' | 'ready' | 'not ready' | 'failing';

/** An ioredis stand-in: answers the library's increment script, or fails as a Redis that is away. */
function fakeRedis(state: Exclude<RedisState, 'absent'>) {
  const asked: string[] = [];
  let answered = 0;
  const counts = new Map<string, number>();
  const client = {
    status: state === 'not ready' ? 'reconnecting' : 'ready',
    defineCommand() {},
    async rlflxIncr([key, points, seconds]: [string, string, string, ...string[]]) {
      asked.push(key);
      if (state !== 'ready') throw new Error('Connection is closed.');
      answered++;
      counts.set(key, (counts.get(key) ?? 0) + Number(points));
      return [counts.get(key), Number(seconds) * 1000];
    },
  };
  return { client: client as unknown as Redis, asked, answered: () => answered };
}

/** The SQL store's database: counts what the store's upsert is given. */
function fakeDb() {
  const asked: string[] = [];
  const counts = new Map<string, number>();
  const db = {
    async raw(_sql: string, [key, points, expiresAt]: [string, number, Date]) {
      asked.push(key);
      counts.set(key, (counts.get(key) ?? 0) + points);
      return { rows: [{ points: counts.get(key), expires_at: expiresAt }] };
    },
  };
  return { db: db as unknown as Db, asked };
}

/** Two takes on one key of a limit of the kind, with Redis as said: who was asked, and where it counted. */
async function twoTakes(store: LimitStore, state: RedisState) {
  const sql = fakeDb();
  const redis = state === 'absent' ? undefined : fakeRedis(state);
  const limiters = createLimiters({
    db: sql.db,
    clock: systemClock,
    redis: redis && { client: redis.client, keyPrefix: 'canopy:' },
  });
  const limiter = limiters({ name: 'kind', points: 5, windowSeconds: 60, store });
  await limiter.take('k');
  const second = await limiter.take('k');
  assert.equal(second.consumed, 2, `${store}, Redis ${state}: both takes counted in one store`);
  const countedIn = (redis?.answered() ?? 0) > 0 ? 'redis' : sql.asked.length > 0 ? 'sql' : 'memory';
  return { redisAsked: redis?.asked.length ?? 0, sqlAsked: sql.asked.length, countedIn };
}

const EXPECTED: [LimitStore, RedisState, { redisAsked: number; sqlAsked: number; countedIn: string }][] = [
  ['durable', 'absent', { redisAsked: 0, sqlAsked: 2, countedIn: 'sql' }],
  ['durable', 'ready', { redisAsked: 0, sqlAsked: 2, countedIn: 'sql' }],
  ['durable', 'failing', { redisAsked: 0, sqlAsked: 2, countedIn: 'sql' }],
  ['window', 'absent', { redisAsked: 0, sqlAsked: 2, countedIn: 'sql' }],
  ['window', 'ready', { redisAsked: 2, sqlAsked: 0, countedIn: 'redis' }],
  // rejectIfRedisNotReady: straight to SQL, no command waits for a reconnect
  ['window', 'not ready', { redisAsked: 0, sqlAsked: 2, countedIn: 'sql' }],
  ['window', 'failing', { redisAsked: 2, sqlAsked: 2, countedIn: 'sql' }],
  ['node', 'absent', { redisAsked: 0, sqlAsked: 0, countedIn: 'memory' }],
  ['node', 'ready', { redisAsked: 2, sqlAsked: 0, countedIn: 'redis' }],
  ['node', 'not ready', { redisAsked: 2, sqlAsked: 0, countedIn: 'memory' }],
  ['node', 'failing', { redisAsked: 2, sqlAsked: 0, countedIn: 'memory' }],
];

for (const [store, state, expected] of EXPECTED) {
  test(`REL-3 a ${store} limit with Redis ${state} counts in ${expected.countedIn}`, async () => {
    assert.deepEqual(await twoTakes(store, state), expected);
  });
}

test('the shared stores name a counter after its limit, under the Redis key prefix in Redis', async () => {
  const sql = fakeDb();
  const redis = fakeRedis('ready');
  const limiters = createLimiters({
    db: sql.db,
    clock: systemClock,
    redis: { client: redis.client, keyPrefix: 'canopy:' },
  });
  await limiters({ name: 'api', points: 5, windowSeconds: 60, store: 'window' }).take('k');
  await limiters({ name: 'lockout', points: 5, windowSeconds: 60, store: 'durable' }).take('k');
  assert.deepEqual([redis.asked, sql.asked], [['canopy:api:k'], ['lockout:k']]);
});
