import type { Config } from './config/schema.ts';
import { createAccountServices } from './container/accounts.ts';
import { openConfiguredDatabase } from './container/database.ts';
import { createFederation } from './container/federation.ts';
import { housekeepingTasks } from './container/housekeeping-tasks.ts';
import { createPasswordPolicy } from './modules/accounts/index.ts';
import { createAnalyticsService, createUsageRecorder } from './modules/analytics/index.ts';
import { createAppService } from './modules/apps/index.ts';
import { createAuditLogReader, createAuditService } from './modules/audit/index.ts';
import { createCredentialService, createEnvironmentService } from './modules/environments/index.ts';
import { createIdpService, createMappingService } from './modules/identity-providers/index.ts';
import { createInvitationQuota, createInvitationService } from './modules/invitations/index.ts';
import {
  createBusinessGroupService,
  createDomainDirectory,
  createOrganizationService,
  createSignupService,
} from './modules/organizations/index.ts';
import {
  createAccess,
  createAssignmentService,
  createRoleService,
  createTenantDirectory,
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
import { createAnonymousCap } from './oidc/anonymous-cap.ts';
import { providerPages } from './oidc/pages.ts';
import { createOidc } from './oidc/provider.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { deriveCookieKeys, deriveWebKeys } from './platform/crypto/cookie-keys.ts';
import { createSecretBox } from './platform/crypto/secret-box.ts';
import { resolveSecretsKeyRing } from './platform/crypto/secrets-key.ts';
import { type Database, withoutQueryTimeout } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { createHousekeeping } from './platform/housekeeping.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { createMailer } from './platform/mail.ts';
import { createMetrics } from './platform/metrics.ts';
import { createRedisClients, type RedisClients } from './platform/redis.ts';
import { createLocalSignalBus, createRedisSignalBus } from './platform/signals.ts';
import { createLimiters, createRequestThrottle } from './platform/throttle/index.ts';

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
  const database = options.database ?? (await openConfiguredDatabase(config, logger, options.serving));
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
    const applied = await withoutQueryTimeout(database, migrateToLatest); // a long change is no hang
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    await verifySealedSecrets(db, box);
    // SEC-12: unknown usernames in the audit log and the throttle's counter keys are HMACs under keys
    // from the installation's own random key, which SECRETS_KEY rotations leave unchanged.
    const pseudonymKeys = derivePseudonymKeys(
      await ensureInstallationKey(db, box, PSEUDONYM_INSTALLATION_KEY, clock.now()),
    );
    await syncBuiltInRoles(db, clock.now());

    redis = config.storage.redisUrl
      ? await createRedisClients(config.storage.redisUrl, logger, {
          commandTimeoutMs: config.storage.redisCommandTimeoutMs,
        })
      : undefined;
    const signals = redis
      ? createRedisSignalBus(redis, config.storage.redisKeyPrefix, logger)
      : createLocalSignalBus();

    const directory = createTenantDirectory({ db, signals, logger });
    await directory.start();
    const access = createAccess(directory);
    const audit = createAuditService({ db, clock });
    // ACC-4: the one password checker of every place a password is set (sign-up, invitations, accounts).
    const passwordPolicy = createPasswordPolicy({ directory });
    const core = { db, clock, directory, access, audit, passwordPolicy };
    // Mail (invitations, account links) over SMTP_URL, or to DATA_DIR/outbox/ without it.
    const mailer = createMailer({
      smtpUrl: config.mail.smtpUrl,
      from: config.mail.from,
      dataDir: config.storage.dataDir,
      logger,
    });
    const sessions = createSessionService(core);
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
      logger,
      rotationGraceHours: config.credentials.rotationGraceHours,
    });
    const environments = createEnvironmentService({ ...core, credentials });
    // The domain → master org lookup of the public sign-in entry points, in memory on every node.
    const domains = createDomainDirectory({ db, signals, logger });
    await domains.start();
    const organizations = createOrganizationService({ ...core, users, assignments, domains });
    const businessGroups = createBusinessGroupService({
      clock,
      directory,
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
      domains,
    });
    // The throttle mechanism (platform/throttle): each limit declared names the store of its counts.
    const limiters = createLimiters({
      db,
      clock,
      redis: redis && { client: redis.command, keyPrefix: config.storage.redisKeyPrefix },
    });
    // Each sign-up creates a tenant: the web form and the API share one low limit per address.
    const signupThrottle = createRequestThrottle(
      limiters({
        name: 'signup',
        points: config.organizations.signupsPerAddressPerHour,
        windowSeconds: 3600,
        store: 'node',
      }),
    );
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
    // ── Invitations (INV-1…INV-4) ──
    // SEC-9: invitation mails per master org and day, counted where every node sees them.
    const invitationQuota = createInvitationQuota({
      ...core, // ACC-3: the founder's verified status, through the directory and users
      users,
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
      directory,
      assignments,
      publicUrl: config.server.publicUrl,
      network: config.federation,
    });
    const groupMappings = createMappingService({ db, clock, access, audit, assignments });
    // ACC-1…ACC-5: password policy, reset and change, email verification (src/container/accounts.ts).
    const accountDeps = { ...core, config, logger, users, sessions, mailer, limiters, invitationQuota };
    const { throttleKey } = pseudonymKeys;
    const accounts = createAccountServices({ ...accountDeps, throttleKey, identityProviders });

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

    // FED-2…FED-7: federated sign-in, its flows in flight, the OIDC relying party, SAML (container/federation.ts).
    const federation = createFederation({
      config,
      db,
      clock,
      redis,
      directory,
      audit,
      assignments,
      mappings: groupMappings,
      users,
      usage,
    });

    // Secrets remembered for client authentication are dropped when any node changes them.
    await apps.followClientChanges([credentials]);
    await signingKeys.ensureKeys();
    // REL-4: what requests nobody signed in to may create, per address and minute, on every node.
    const anonymousCap = createAnonymousCap({
      limiters,
      logger,
      perAddressPerMinute: config.anonymous.perAddressPerMinute,
      key: pseudonymKeys.throttleKey,
    });
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
      directory,
      sessions,
      apps,
      credentials,
      signingKeys,
      pages: providerPages(),
      usage,
      audit,
      anonymousCap,
      limiters,
    });
    await oidc.start();
    usage.start();

    // Last, once nothing can fail the start: the other nodes learn this node's ring. The embedded
    // database has one process at a time, so there is nobody to tell.
    const presence =
      options.serving && database.kind === 'postgres' ? createNodePresence({ db, box, logger }) : undefined;
    await presence?.start();
    // REL-6: expired and aged-out rows, one node at a time; on demand (runOnce) when not serving.
    const housekeeping = createHousekeeping({
      database,
      logger,
      intervalSeconds: config.retention.housekeepingIntervalSeconds,
    });
    for (const task of housekeepingTasks({ db, clock, retention: config.retention, audit, sessions }))
      housekeeping.register(task);
    if (options.serving) housekeeping.start();
    const closeRedis = redis;
    return {
      config,
      logger,
      clock,
      database,
      redis,
      metrics: createMetrics(),
      directory,
      audit,
      users,
      roles,
      assignments,
      credentials,
      environments,
      organizations,
      businessGroups,
      signUp,
      limiters,
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
      accounts,
      identityProviders,
      groupMappings,
      federationFlows: federation.federationFlows,
      federatedSignIn: federation.federatedSignIn,
      federationFinish: federation.federationFinish,
      anonymousCap,
      oidcUpstream: federation.oidcUpstream,
      samlProtocol: federation.samlProtocol,
      auditLog,
      usage,
      analytics,
      housekeeping,
      async close() {
        await housekeeping.stop();
        await accounts.reset.settled(); // ACC-1: reset mails still on their way after an answer
        await presence?.stop();
        await oidc.close();
        await federation.close();
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
