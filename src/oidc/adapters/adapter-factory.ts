import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../../platform/clock.ts';
import type { ArtefactAdapterClass } from './adapter-contract.ts';
import { createRedisAdapterClass } from './redis-adapter.ts';
import { createSqlAdapterClass } from './sql-adapter.ts';

export interface AdapterFactoryDeps {
  db: Knex;
  clock: Clock;
  /** Canopy's Redis command client, when `REDIS_URL` is set. */
  redis?: Redis;
  /** `REDIS_KEY_PREFIX`; artefact keys go under `<prefix>oidc:`. */
  prefix: string;
}

/**
 * The class for oidc-provider's `adapter` option: Redis for every stored model when Redis is
 * configured (shared by all nodes, expiring by itself), SQL otherwise (the embedded default, whose
 * sessions survive a restart). `Client` is not among the stored models: the provider wiring serves
 * it from apps and credentials before a name ever reaches these classes.
 */
export function createAdapterFactory(deps: AdapterFactoryDeps): ArtefactAdapterClass {
  return deps.redis
    ? createRedisAdapterClass({ redis: deps.redis, prefix: deps.prefix })
    : createSqlAdapterClass({ db: deps.db, clock: deps.clock });
}
