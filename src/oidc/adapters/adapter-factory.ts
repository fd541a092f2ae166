import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ArtefactAdapterClass } from './adapter-contract.ts';
import { createCacheNamespace } from './cache-namespace.ts';
import { type CacheTiming, createArtefactCache, DEFAULT_CACHE_TIMING } from './redis-adapter.ts';
import { createSqlAdapterClass } from './sql-adapter.ts';
import { createSqlRecord } from './sql-record.ts';
import { createWriteThroughAdapterClass } from './write-through-adapter.ts';

export interface AdapterFactoryDeps {
  db: Knex;
  clock: Clock;
  logger: Logger;
  /** Canopy's Redis command client, when `REDIS_URL` is set. */
  redis?: Redis;
  /** `REDIS_KEY_PREFIX`; cached copies go under `<prefix>oidc-cache:<run_id>:`. */
  prefix: string;
  /** The cache's clocks; the defaults unless a test needs them short. */
  cacheTiming?: CacheTiming;
}

/**
 * The class for oidc-provider's `adapter` option. `oidc_models` is the record of every stored
 * model (REL-3); with Redis configured, a write-through cache sits in front of it for reads, shared
 * by all nodes. `Client` is not among the stored models: the provider wiring serves it from apps
 * and credentials before a name ever reaches these classes.
 */
export function createAdapterFactory(deps: AdapterFactoryDeps): ArtefactAdapterClass {
  if (!deps.redis) return createSqlAdapterClass({ db: deps.db, clock: deps.clock });
  const cache = createArtefactCache({
    redis: deps.redis,
    namespace: createCacheNamespace(deps.redis, deps.prefix),
    timing: deps.cacheTiming ?? DEFAULT_CACHE_TIMING,
  });
  return createWriteThroughAdapterClass({
    record: createSqlRecord({ db: deps.db, clock: deps.clock }),
    cache,
    clock: deps.clock,
    logger: deps.logger,
  });
}
