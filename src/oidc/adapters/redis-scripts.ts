import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// The cache of provider artefacts (REL-3). Each artefact's key is a hash that may hold:
// - a copy of the record: `id`, `payload`, `consumed`, its `version`, and the full names of the
//   index keys pointing at it (`uidKey`, `userCodeKey`, `grantKey`), so that any script can undo
//   them without knowing the layout;
// - state that outlives a copy for a few seconds: `floor`, the highest version any refill has
//   presented ('inf' once destroyed), and `w:<token>` for each write in flight (invalidated, its
//   refill not yet arrived). A refill lands only when it is the newest version seen, no other
//   write is in flight, it arrives before its deadline, the namespace is not in its blackout and its
//   grant was not just revoked; otherwise the key stays without a copy and readers use the record.
// Scripts touch keys they derive from the hash, which Redis allows on one server; a Redis Cluster
// needs a hash tag in the key prefix (e.g. `{canopy}:`) so that every key lands in one slot.

// A namespace's epoch outlives any idle spell of a day; one unused longer is simply new again.
const EPOCH_TTL_LUA = `
local EPOCH_TTL = 86400000
`;

const COMMON = `${EPOCH_TTL_LUA}
local DATA = { 'id', 'payload', 'consumed', 'version', 'uidKey', 'userCodeKey', 'grantKey' }

local function drop(key)
  local f = redis.call('HMGET', key, 'id', 'uidKey', 'userCodeKey', 'grantKey')
  if not f[1] then return false end
  if f[2] and redis.call('GET', f[2]) == f[1] then redis.call('DEL', f[2]) end
  if f[3] and redis.call('GET', f[3]) == f[1] then redis.call('DEL', f[3]) end
  if f[4] then redis.call('SREM', f[4], key) end
  redis.call('HDEL', key, unpack(DATA))
  return true
end

local function raise(key, floor)
  local current = redis.call('HGET', key, 'floor')
  if current == 'inf' then return end
  if floor == 'inf' or not current or tonumber(floor) > tonumber(current) then
    redis.call('HSET', key, 'floor', floor)
  end
end

-- state (no copy) is kept at least ms, and never shorter than it already was
local function hold(key, ms, pttl, hadCopy)
  if redis.call('EXISTS', key) == 0 then return end
  if not hadCopy and pttl > ms then ms = pttl end
  redis.call('PEXPIRE', key, ms)
end

local function invalidate(key, token, floor, ms)
  local pttl = redis.call('PTTL', key)
  local hadCopy = drop(key)
  if token ~= '' then redis.call('HSET', key, 'w:' .. token, '1') end
  if floor ~= '' then raise(key, floor) end
  hold(key, ms, pttl, hadCopy)
end
`;

/**
 * KEYS: artefact. ARGV: write token ('' none), floor ('' none, a version, or 'inf' to destroy),
 * hold ms. Drops the copy and its indexes; records the write in flight and/or raises the floor.
 */
export const INVALIDATE = `${COMMON}
invalidate(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]))
return 1
`;

/**
 * KEYS: artefact, namespace epoch. ARGV: write token ('' none), deadline (Redis ms), version,
 * blackout ms, hold ms, id, payload, consumed (''), ttl ms, uid index key (''), user code index
 * key (''), grant set key (''), grant-revoked key (''). 1 when the copy landed, else 0.
 */
export const REFILL = `${COMMON}
local key, epochKey = KEYS[1], KEYS[2]
local token, deadline, version = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local blackout, holdMs = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if token ~= '' then redis.call('HDEL', key, 'w:' .. token) end
local floor = redis.call('HGET', key, 'floor')
if floor == 'inf' or (floor and tonumber(floor) >= version) then return 0 end
-- the newest version seen: any copy here is older than the record now
local pttl = redis.call('PTTL', key)
local hadCopy = drop(key)
redis.call('HSET', key, 'floor', ARGV[3])
local refused = now > deadline
local epoch = redis.call('GET', epochKey)
if not epoch then
  redis.call('SET', epochKey, string.format('%.0f', now), 'PX', EPOCH_TTL)
  refused = true
elseif now < tonumber(epoch) + blackout then refused = true end
if ARGV[13] ~= '' and redis.call('EXISTS', ARGV[13]) == 1 then refused = true end
if not refused then
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'w:' then refused = true; break end
  end
end
if refused then
  hold(key, holdMs, pttl, hadCopy)
  return 0
end
local id, ttl = ARGV[6], tonumber(ARGV[9])
local uidKey, userCodeKey, grantKey = ARGV[10], ARGV[11], ARGV[12]
local fields = { 'id', id, 'payload', ARGV[7], 'version', ARGV[3] }
if ARGV[8] ~= '' then table.insert(fields, 'consumed'); table.insert(fields, ARGV[8]) end
if uidKey ~= '' then table.insert(fields, 'uidKey'); table.insert(fields, uidKey) end
if userCodeKey ~= '' then table.insert(fields, 'userCodeKey'); table.insert(fields, userCodeKey) end
if grantKey ~= '' then table.insert(fields, 'grantKey'); table.insert(fields, grantKey) end
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIRE', key, ttl)
redis.call('PEXPIRE', epochKey, EPOCH_TTL) -- a namespace in use keeps its epoch
for _, index in ipairs({ uidKey, userCodeKey }) do
  if index ~= '' then redis.call('SET', index, id, 'PX', ttl) end
end
if grantKey ~= '' then
  -- the grant's set lives as long as its longest-lived member
  local current = redis.call('PTTL', grantKey)
  redis.call('SADD', grantKey, key)
  if current < ttl then redis.call('PEXPIRE', grantKey, ttl) end
end
return 1
`;

/**
 * KEYS: grant set. ARGV: grant-revoked key, hold ms. Destroys the copies of the artefacts issued
 * under the grant and marks the grant revoked for a while, so that no refill brings one back.
 */
export const REVOKE_GRANT = `${COMMON}
local hold = tonumber(ARGV[2])
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HGET', key, 'grantKey') == KEYS[1] then invalidate(key, '', 'inf', hold) end
end
redis.call('DEL', KEYS[1])
redis.call('SET', ARGV[1], '1', 'PX', hold)
return 1
`;

/**
 * KEYS: artefact, then the same id under other models whose ids are drawn from the same random
 * space (tokens: a value is one kind of token or none). Returns { payload, consumed } when the copy
 * is there, 1 when another model holds that id (so this one cannot), else 0.
 */
export const READ_TOKEN = `
local found = redis.call('HMGET', KEYS[1], 'payload', 'consumed')
if found[1] then return found end
for i = 2, #KEYS do
  if redis.call('HEXISTS', KEYS[i], 'payload') == 1 then return 1 end
end
return 0
`;

/** KEYS: namespace epoch. Creates it (now) if absent, keeps it a day; returns Redis's clock in ms. */
export const EPOCH = `${EPOCH_TTL_LUA}
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
if not redis.call('SET', KEYS[1], now, 'NX', 'PX', EPOCH_TTL) then redis.call('PEXPIRE', KEYS[1], EPOCH_TTL) end
return now
`;

const digests = new Map<string, string>();

/** Runs a script by its digest, sending its text only when the server does not know it yet. */
export async function runScript(
  redis: Redis,
  script: string,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  let digest = digests.get(script);
  if (!digest) {
    digest = createHash('sha1').update(script).digest('hex');
    digests.set(script, digest);
  }
  try {
    return await redis.evalsha(digest, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
