import type { Config } from '../config/schema.ts';
import {
  createFederatedSignIn,
  createFederationFinish,
  createFlowStore,
  createOidcUpstream,
  type FederatedSignInDeps,
} from '../federation/index.ts';
import { createRedisSamlCache, createSamlProtocol, createSqlSamlCache } from '../federation/saml/index.ts';
import { createFederatedIdentityService } from '../modules/identity-providers/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/database.ts';
import { createGuardedFetch } from '../platform/net/guarded-fetch.ts';
import type { RedisClients } from '../platform/redis.ts';

export interface FederationDeps extends Omit<FederatedSignInDeps, 'identities'> {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
}

/**
 * Federated sign-in (FED-2…FED-7): the flows in flight, the account step, the OIDC relying party
 * and the SAML protocol, with what they keep across nodes (Redis, else SQL).
 */
export function createFederation(deps: FederationDeps) {
  const { config, db, clock, redis } = deps;
  const flows = createFlowStore({
    db,
    clock,
    redis: redis?.command,
    redisKeyPrefix: config.storage.redisKeyPrefix,
  });
  const signIn = createFederatedSignIn({ ...deps, identities: createFederatedIdentityService({ db }) });
  // SEC-5: what Canopy fetches on a tenant's behalf never reaches loopback, private or metadata addresses.
  const { allowPrivateNetworks } = config.federation;
  const outboundFetch = createGuardedFetch({ allowPrivateNetworks });
  // FED-6: request and assertion ids, single-use across nodes: Redis, else the SQL store (swept).
  const samlCache = redis
    ? createRedisSamlCache({ redis: redis.command, prefix: config.storage.redisKeyPrefix })
    : createSqlSamlCache({ db, clock });
  return {
    federationFlows: flows,
    federatedSignIn: signIn,
    federationFinish: createFederationFinish({ flows, signIn }),
    oidcUpstream: createOidcUpstream({ fetch: outboundFetch, allowPrivateNetworks }),
    samlProtocol: createSamlProtocol({
      publicUrl: config.server.publicUrl,
      clock,
      requestCache: samlCache,
      replayCache: samlCache,
    }),
    /** Closes the outbound fetch's connections. */
    close: () => outboundFetch.close(),
  };
}
