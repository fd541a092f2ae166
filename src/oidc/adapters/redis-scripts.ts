import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// Each artefact is a hash holding `payload`, its own `id`, the full names of the index keys that
// point at it (`uidKey`, `userCodeKey`, `grantKey`) and, once consumed, `consumed`. Keeping the
// index names in the hash lets every script undo an artefact's indexes without knowing the layout.
// Scripts touch keys they derive from the hash, which Redis allows on one server; a Redis Cluster
// needs a hash tag in the key prefix (e.g. `{canopy}:`) so that every key lands in one slot.

const UNINDEX = `
local function unindex(key)
  local f = redis.call('HMGET', key, 'id', 'uidKey', 'userCodeKey', 'grantKey')
  if f[2] and redis.call('GET', f[2]) == f[1] then redis.call('DEL', f[2]) end
  if f[3] and redis.call('GET', f[3]) == f[1] then redis.call('DEL', f[3]) end
  if f[4] then redis.call('SREM', f[4], key) end
end
`;

/**
 * KEYS: artefact. ARGV: id, payload, ttl in ms ('' = none), uid index key, user code index key,
 * grant set key, consumed ('' for each absent one). Replaces the artefact and its indexes at once.
 */
export const UPSERT = `${UNINDEX}
local key, id, ttl = KEYS[1], ARGV[1], tonumber(ARGV[3])
local uidKey, userCodeKey, grantKey, consumed = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
unindex(key)
redis.call('DEL', key)
local fields = { 'id', id, 'payload', ARGV[2] }
if uidKey ~= '' then table.insert(fields, 'uidKey'); table.insert(fields, uidKey) end
if userCodeKey ~= '' then table.insert(fields, 'userCodeKey'); table.insert(fields, userCodeKey) end
if grantKey ~= '' then table.insert(fields, 'grantKey'); table.insert(fields, grantKey) end
if consumed ~= '' then table.insert(fields, 'consumed'); table.insert(fields, consumed) end
redis.call('HSET', key, unpack(fields))
if ttl then redis.call('PEXPIRE', key, ttl) end
for _, index in ipairs({ uidKey, userCodeKey }) do
  if index ~= '' then
    if ttl then redis.call('SET', index, id, 'PX', ttl) else redis.call('SET', index, id) end
  end
end
if grantKey ~= '' then
  -- the grant's set lives as long as its longest-lived member
  local current = redis.call('PTTL', grantKey)
  redis.call('SADD', grantKey, key)
  if not ttl then redis.call('PERSIST', grantKey)
  elseif current == -2 or (current >= 0 and ttl > current) then redis.call('PEXPIRE', grantKey, ttl) end
end
return 1
`;

/** KEYS: artefact. ARGV: epoch seconds. 1 for the one call that marks a stored artefact consumed. */
export const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
`;

/** KEYS: artefact. */
export const DESTROY = `${UNINDEX}
unindex(KEYS[1])
return redis.call('DEL', KEYS[1])
`;

/** KEYS: grant set. Deletes the members still issued under this grant, then the set. */
export const REVOKE_GRANT = `${UNINDEX}
local removed = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HGET', key, 'grantKey') == KEYS[1] then
    unindex(key)
    removed = removed + redis.call('DEL', key)
  end
end
redis.call('DEL', KEYS[1])
return removed
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
