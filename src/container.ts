import type { Config } from './config/schema.ts';
import { createAnalyticsService, createUsageRecorder } from './modules/analytics/index.ts';
import { createAppService } from './modules/apps/index.ts';
import { createAuditLogReader, createAuditService } from './modules/audit/index.ts';
import { createCredentialService, createEnvironmentService } from './modules/environments/index.ts';
import {
  createFederatedSignIn,
  createFederationFinish,
  createFlowStore,
  createOidcUpstream,
} from './modules/federation/index.ts';
import {
  createRedisSamlCache,
  createSamlProtocol,
  createSqlSamlCache,
  sweepSamlCache,
} from './modules/federation/saml/index.ts';
import { createIdpService, createMappingService } from './modules/identity-providers/index.ts';
import { createInvitationQuota, createInvitationService } from './modules/invitations/index.ts';
import {
  createBusinessGroupService,
  createOrganizationService,
  createSignupService,
} from './modules/organizations/index.ts';
import {
  createAccess,
  createAssignmentService,
  createAuthorizer,
  createRoleService,
  createSnapshotRepository,
  syncBuiltInRoles,
} from './modules/roles/index.ts';
import {
  assertEveryNodeHolds,
  createNodePresence,
  createSecretsService,
  ensureInstallationKey,
  verifySealedSecrets,
} from './modules/secrets/index.ts';
import { createSessionService } from './modules/sessions/index.ts';
import {
  createSignInService,
  derivePseudonymKeys,
  PSEUDONYM_INSTALLATION_KEY,
  signInPolicy,
} from './modules/sign-in/index.ts';
import { createSigningKeyService } from './modules/signing-keys/index.ts';
import { createUserService } from './modules/users/index.ts';
import { providerPages } from './oidc/pages.ts';
import { createOidc } from './oidc/provider.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { deriveCookieKeys, deriveWebKeys } from './platform/crypto/cookie-keys.ts';
import { createSecretBox } from './platform/crypto/secret-box.ts';
import { resolveSecretsKeyRing } from './platform/crypto/secrets-key.ts';
import { type Database, openDatabase } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { createThrottle } from './platform/http/throttle.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { createMailer } from './platform/mail.ts';
import { createMetrics } from './platform/metrics.ts';
import { createGuardedFetch } from './platform/net/guarded-fetch.ts';
import { createRedisClients, type RedisClients } from './platform/redis.ts';
import { CLIENTS_CHANGED, createLocalSignalBus, createRedisSignalBus } from './platform/signals.ts';

export interface ContainerOptions {
  logger?: Logger;
  clock?: Clock;
  /** An already open database (tests bring their own isolated one). */
  database?: Database;
  /**
   * A node serving requests (the server, not the command line): it tells the others which
   * SECRETS_KEY ring it holds, while it runs (SEC-11).
   */
  serving?: boolean;
}

/** The one place that constructs things: storage, then services, each given only what it needs. */
export async function createContainer(config: Readonly<Config>, options: ContainerOptions = {}) {
  const logger = options.logger ?? createLogger(config.log.level);
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.storage.databaseUrl,
      dataDir: config.storage.dataDir,
      poolMax: config.storage.databasePoolMax,
    }));
  let redis: RedisClients | undefined;
  try {
    const db = database.knex;
    // The key ring first: a missing or malformed ring refuses the start before anything is migrated;
    // whether it opens what is stored is checked once the schema is current (verifySealedSecrets).
    const keyRing = resolveSecretsKeyRing({
      configured: config.security.secretsKey,
      dataDir: config.storage.dataDir,
      embedded: database.kind === 'embedded',
      logger,
    });
    const box = createSecretBox(keyRing.keys);
    // Keys derived from the ring, identical on every node: cookie signing, and the pages' CSRF
    // tokens and device cookies. The sealing key's derivation signs; the others still verify.
    const cookieKeys = deriveCookieKeys(keyRing.keys);
    const webKeys = deriveWebKeys(keyRing.keys);
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    await verifySealedSecrets(db, box);
    // SEC-12: unknown usernames in the audit log and the throttle's counter keys are HMACs under keys
    // from the installation's own random key, which SECRETS_KEY rotations leave unchanged.
    const pseudonymKeys = derivePseudonymKeys(
      await ensureInstallationKey(db, box, PSEUDONYM_INSTALLATION_KEY, clock.now()),
    );
    await syncBuiltInRoles(db, clock.now());

    redis = config.storage.redisUrl ? createRedisClients(config.storage.redisUrl, logger) : undefined;
    const signals = redis
      ? createRedisSignalBus(redis, config.storage.redisKeyPrefix, logger)
      : createLocalSignalBus();

    const authz = createAuthorizer({ db, snapshots: createSnapshotRepository(db), signals, logger });
    await authz.start();
    const access = createAccess(authz);
    const audit = createAuditService({ db, clock });
    const core = { db, clock, authz, access, audit };
    const sessions = createSessionService({ db, clock, authz });
    const users = createUserService({ ...core, sessions });
    const roles = createRoleService(core);
    const assignments = createAssignmentService(core);
    const credentials = createCredentialService({
      db,
      clock,
      box,
      access,
      audit,
      signals,
      rotationGraceHours: config.credentials.rotationGraceHours,
    });
    const environments = createEnvironmentService({ ...core, credentials });
    const organizations = createOrganizationService({ ...core, users, assignments });
    const businessGroups = createBusinessGroupService({
      clock,
      authz,
      access,
      audit,
      users,
      assignments,
      credentials,
      maxBusinessGroups: config.organizations.maxBusinessGroups,
    });
    const signUp = createSignupService({
      ...core,
      users,
      assignments,
      environments,
      credentials,
      mode: config.organizations.signupMode,
    });
    // Each sign-up creates a tenant: the web form and the API share one low limit per address.
    const signupThrottle = createThrottle({
      name: 'signup',
      points: config.organizations.signupsPerAddressPerHour,
      durationSeconds: 3600,
      redis: redis?.command,
      prefix: config.storage.redisKeyPrefix,
    });
    const apps = createAppService({ db, clock, box, access, audit, signals, logger });
    const signingKeys = createSigningKeyService({
      db,
      clock,
      box,
      audit,
      signals,
      logger,
      assertSealable: () => assertEveryNodeHolds(db, box.keyId),
    });
    // ── Invitations (INV-1…INV-4): mail over SMTP_URL, or to DATA_DIR/outbox/ without it. ──
    const mailer = createMailer({
      smtpUrl: config.mail.smtpUrl,
      from: config.mail.from,
      dataDir: config.storage.dataDir,
      logger,
    });
    // SEC-9: invitation mails per master org and day, counted where every node sees them.
    const invitationQuota = createInvitationQuota({
      db,
      clock,
      redis,
      redisKeyPrefix: config.storage.redisKeyPrefix,
      logger,
      perOrganizationPerDay: config.invitations.perOrganizationPerDay,
      perUnverifiedOrganizationPerDay: config.invitations.perUnverifiedOrganizationPerDay,
    });
    const invitations = createInvitationService({
      ...core,
      users,
      assignments,
      mailer,
      quota: invitationQuota,
      logger,
      publicUrl: config.server.publicUrl,
      ttlDays: config.invitations.ttlDays,
    });
    // ── end of invitations ──
    // FED-1, FED-4, FED-5: identity providers (secrets sealed), group mappings, local accounts switch.
    // SEC-5: an OIDC issuer the outbound fetch would refuse is refused when it is configured.
    const identityProviders = createIdpService({
      db,
      clock,
      box,
      access,
      audit,
      authz,
      assignments,
      publicUrl: config.server.publicUrl,
      network: config.federation,
    });
    const groupMappings = createMappingService({ db, clock, access, audit, assignments });

    // AUD-2, ANL-1: audit log reads; usage counted in memory, written in batches (stopped in close()).
    const auditLog = createAuditLogReader({ db, access });
    const usage = createUsageRecorder({ db, clock, logger });
    const analytics = createAnalyticsService({ db, clock, access });
    const signIn = createSignInService({
      db,
      clock,
      redis,
      audit,
      users,
      access,
      logger,
      // SEC-6: device cookies are MAC'd with a key derived from this one, the same on every node.
      deviceKey: webKeys,
      ...pseudonymKeys,
      deviceCookieDays: config.signIn.deviceCookieDays,
      redisKeyPrefix: config.storage.redisKeyPrefix,
      policy: signInPolicy(config.signIn),
      usage,
    });

    // FED-2…FED-4, FED-7: federated sign-in — flows in flight, the account step, the OIDC relying party.
    const federationFlows = createFlowStore({
      db,
      clock,
      redis: redis?.command,
      redisKeyPrefix: config.storage.redisKeyPrefix,
    });
    const federatedSignIn = createFederatedSignIn({
      db,
      clock,
      authz,
      audit,
      assignments,
      mappings: groupMappings,
      usage,
    });
    const federationFinish = createFederationFinish({ flows: federationFlows, signIn: federatedSignIn });
    // SEC-5: what Canopy fetches on a tenant's behalf never reaches loopback, private or metadata addresses.
    const { allowPrivateNetworks } = config.federation;
    const outboundFetch = createGuardedFetch({ allowPrivateNetworks });
    const oidcUpstream = createOidcUpstream({ fetch: outboundFetch, allowPrivateNetworks });
    // FED-6: request and assertion ids, single-use across nodes: Redis, else the SQL store (swept).
    const samlCache = redis
      ? createRedisSamlCache({ redis: redis.command, prefix: config.storage.redisKeyPrefix })
      : createSqlSamlCache({ db, clock });
    const samlSweep = redis
      ? undefined
      : setInterval(() => {
          sweepSamlCache(db, clock).catch((err: Error) =>
            logger.warn({ err: err.message }, 'sweeping the SAML cache failed'),
          );
        }, 10 * 60_000).unref();
    const samlProtocol = createSamlProtocol({
      publicUrl: config.server.publicUrl,
      clock,
      requestCache: samlCache,
      replayCache: samlCache,
    });

    // Secrets remembered for client authentication are dropped when any node changes them.
    await signals.subscribe(CLIENTS_CHANGED, (raw) => {
      const change = JSON.parse(raw) as { clientId?: string; all?: boolean };
      if (change.clientId) {
        apps.forgetClient(change.clientId);
        credentials.forgetClient(change.clientId);
      } else {
        credentials.forgetAllClients();
      }
    });
    await signingKeys.ensureKeys();
    const oidc = await createOidc({
      issuer: config.server.publicUrl,
      trustProxy: config.server.trustProxy,
      proxyHops: config.server.proxyHops,
      db,
      redis: redis?.command,
      redisKeyPrefix: config.storage.redisKeyPrefix,
      clock,
      logger,
      signals,
      cookieKeys,
      users,
      organizations,
      authz,
      sessions,
      apps,
      credentials,
      signingKeys,
      pages: providerPages(),
      usage,
      audit,
    });
    await oidc.start();
    usage.start();

    // Last, once nothing can fail the start: the other nodes learn this node's ring. The embedded
    // database has one process at a time, so there is nobody to tell.
    const presence =
      options.serving && database.kind === 'postgres' ? createNodePresence({ db, box, logger }) : undefined;
    await presence?.start();
    const closeRedis = redis;
    return {
      config,
      logger,
      clock,
      database,
      redis,
      metrics: createMetrics(),
      authz,
      audit,
      users,
      roles,
      assignments,
      credentials,
      environments,
      organizations,
      businessGroups,
      signUp,
      signupThrottle,
      apps,
      signingKeys,
      signIn,
      sessions,
      signals,
      webKeys,
      /** Where the SECRETS_KEY ring is kept (secrets.key, or null: configuration) and its key ids; never the keys. */
      keyRing: { file: keyRing.file, keyIds: box.keyIds },
      secrets: createSecretsService({ db, box, audit }),
      oidc,
      mailer,
      invitations,
      identityProviders,
      groupMappings,
      federationFlows,
      federatedSignIn,
      federationFinish,
      oidcUpstream,
      samlProtocol,
      auditLog,
      usage,
      analytics,
      async close() {
        await presence?.stop();
        clearInterval(samlSweep);
        oidc.close();
        await outboundFetch.close();
        await usage.close();
        await closeRedis?.close();
        await database.close();
      },
    };
  } catch (err) {
    await redis?.close();
    if (!options.database) await database.close();
    throw err;
  }
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
