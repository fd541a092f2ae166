import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { redisKeyLayout } from './adapters/redis-adapter.ts';
import { runScript } from './adapters/redis-scripts.ts';

/** The interval a device code's poller is held to (RFC 8628 §3.2), and how it grows (§3.5). */
export interface PollRule {
  /** The interval a new device code starts with, in seconds. */
  intervalSeconds: number;
  /** What each poll that comes too early adds to it, in seconds. */
  slowDownSeconds: number;
  /** How long the record lives after the first poll: at least as long as a device code. */
  lifetimeSeconds: number;
}

/** A poll judged: in time (answer it), or too early (`slow_down`); and the interval from now on. */
export interface PollVerdict {
  tooEarly: boolean;
  intervalSeconds: number;
}

/**
 * When each pending device code may be polled next, shared by every node: beside the provider's
 * artefacts, in Redis when it is configured and in `oidc_models` otherwise, under a key of its own
 * (the provider rewrites the device code's record whole whenever the person acts on it). Each poll
 * is judged and recorded in one atomic step, so concurrent polls are judged one after the other.
 */
export interface DevicePollStore {
  /** Judges a poll of the device code keyed `key` at `now` (epoch milliseconds), and records it. */
  poll(key: string, now: number): Promise<PollVerdict>;
}

const MODEL = 'DevicePoll';

/**
 * KEYS: the record. ARGV: now (ms), starting interval (s), step (s), lifetime (ms). Returns
 * { 1 when too early else 0, the interval from now on }.
 */
const POLL = `
local key, now = KEYS[1], tonumber(ARGV[1])
local state = redis.call('HMGET', key, 'interval', 'next')
local interval, early = tonumber(state[1]), 0
if not interval then
  interval = tonumber(ARGV[2])
  redis.call('HSET', key, 'interval', interval, 'next', string.format('%.0f', now + interval * 1000))
  redis.call('PEXPIRE', key, ARGV[4])
  return { 0, interval }
end
if now < tonumber(state[2]) then
  early = 1
  interval = interval + tonumber(ARGV[3])
end
redis.call('HSET', key, 'interval', interval, 'next', string.format('%.0f', now + interval * 1000))
return { early, interval }
`;

export function redisDevicePollStore(deps: {
  redis: Redis;
  prefix: string;
  rule: PollRule;
}): DevicePollStore {
  const record = (key: string) => redisKeyLayout(deps.prefix).artefact(MODEL, key);
  const { intervalSeconds, slowDownSeconds, lifetimeSeconds } = deps.rule;
  return {
    async poll(key, now) {
      const [early, interval] = (await runScript(
        deps.redis,
        POLL,
        [record(key)],
        [now, intervalSeconds, slowDownSeconds, lifetimeSeconds * 1000],
      )) as [number, number];
      return { tooEarly: early === 1, intervalSeconds: interval };
    },
  };
}

/**
 * In SQL, one upsert: a first poll inserts the record; a later one, under the row's lock, keeps the
 * interval when it is in time and grows it when it is not. The rows expire with `expires_at` and
 * housekeeping sweeps them with the artefacts (REL-6).
 */
export function sqlDevicePollStore(deps: { db: Knex; rule: PollRule }): DevicePollStore {
  const { intervalSeconds, slowDownSeconds, lifetimeSeconds } = deps.rule;
  return {
    async poll(key, now) {
      const first = { interval: intervalSeconds, next: now + intervalSeconds * 1000, early: false };
      const result = await deps.db.raw(
        `insert into oidc_models as t (model, id, payload, expires_at) values (?, ?, cast(? as jsonb), ?)
         on conflict (model, id) do update set payload = (
           select jsonb_build_object('interval', grown.interval, 'next', cast(? as bigint) + grown.interval * 1000,
                                     'early', grown.early)
           from (select judged.early,
                        (t.payload->>'interval')::integer + case when judged.early then cast(? as integer) else 0 end
                          as interval
                 from (select cast(? as bigint) < (t.payload->>'next')::bigint as early) as judged) as grown
         )
         returning payload`,
        [
          MODEL,
          key,
          JSON.stringify(first),
          new Date(now + lifetimeSeconds * 1000),
          now,
          slowDownSeconds,
          now,
        ],
      );
      const payload = (result.rows as Array<{ payload: typeof first }>)[0]!.payload;
      return { tooEarly: payload.early, intervalSeconds: payload.interval };
    },
  };
}
