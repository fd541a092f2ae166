import type { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import {
  type ArtefactAdapter,
  type ArtefactAdapterClass,
  assertStoredModel,
  consumeRefused,
  epochSeconds,
  lookupFields,
} from './adapter-contract.ts';
import { CONSUME, DESTROY, REVOKE_GRANT, runScript, UPSERT } from './redis-scripts.ts';

/** Where each kind of key lives under the configured prefix (e.g. `canopy:`). */
export function redisKeyLayout(prefix: string) {
  const root = `${prefix}oidc:`;
  return {
    artefact: (model: string, id: string) => `${root}${model}:${id}`,
    uid: (model: string, uid: string) => `${root}uid:${model}:${uid}`,
    userCode: (model: string, userCode: string) => `${root}userCode:${model}:${userCode}`,
    grant: (grantId: string) => `${root}grant:${grantId}`,
  };
}

/**
 * Provider artefacts in Redis. Expiry is the keys' own TTL (real time, not the injected clock);
 * every write that spans an artefact and its indexes is one Lua script, so readers never see half.
 */
export function createRedisAdapterClass(deps: { redis: Redis; prefix: string }): ArtefactAdapterClass {
  const { redis } = deps;
  const keys = redisKeyLayout(deps.prefix);

  async function load(key: string): Promise<AdapterPayload | undefined> {
    const [payload, consumed] = await redis.hmget(key, 'payload', 'consumed');
    if (payload == null) return undefined;
    const parsed = JSON.parse(payload) as AdapterPayload;
    return consumed == null ? parsed : { ...parsed, consumed: Number(consumed) };
  }

  return class RedisAdapter implements ArtefactAdapter {
    readonly model: string;

    constructor(name: string) {
      assertStoredModel(name);
      this.model = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      // Redis cannot keep a key for no time at all; an artefact born expired is simply not there.
      if (typeof expiresIn === 'number' && expiresIn <= 0) return this.destroy(id);
      const { uid, userCode, grantId } = lookupFields(this.model, payload);
      // Saved again after it was consumed, an artefact stays consumed: no later consume may win.
      const consumed = payload.consumed ? String(Number(payload.consumed) || epochSeconds(new Date())) : '';
      await runScript(
        redis,
        UPSERT,
        [keys.artefact(this.model, id)],
        [
          id,
          JSON.stringify(payload),
          typeof expiresIn === 'number' ? Math.ceil(expiresIn * 1000) : '',
          uid ? keys.uid(this.model, uid) : '',
          userCode ? keys.userCode(this.model, userCode) : '',
          grantId ? keys.grant(grantId) : '',
          consumed,
        ],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return load(keys.artefact(this.model, id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(keys.uid(this.model, uid));
      const found = id === null ? undefined : await this.find(id);
      return found?.uid === uid ? found : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(keys.userCode(this.model, userCode));
      const found = id === null ? undefined : await this.find(id);
      return found?.userCode === userCode ? found : undefined;
    }

    async tryConsume(id: string): Promise<boolean> {
      const won = await runScript(
        redis,
        CONSUME,
        [keys.artefact(this.model, id)],
        [epochSeconds(new Date())],
      );
      return won === 1;
    }

    async consume(id: string): Promise<void> {
      if (!(await this.tryConsume(id))) throw consumeRefused(this.model);
    }

    async destroy(id: string): Promise<void> {
      await runScript(redis, DESTROY, [keys.artefact(this.model, id)], []);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await runScript(redis, REVOKE_GRANT, [keys.grant(grantId)], []);
    }
  };
}
