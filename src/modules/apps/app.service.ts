import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newClientId, newClientSecret, newId } from '../../platform/crypto/random.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, invalidInput, parseInput } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { announceSaved, assertSignalsLive, CLIENTS_CHANGED, type SignalBus } from '../../platform/signals.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, TenantIndex } from '../roles/index.ts';
import {
  type ClientMemory,
  createClientLookup,
  followClientChanges,
  presentApp,
  secretContext,
} from './app.clients.ts';
import {
  checkFirstPartyChange,
  checkFirstPartyRedirects,
  createFirstPartyOperations,
} from './app.first-party.ts';
import { checkGrants, checkMayActAs, liveGrants } from './app.grants.ts';
import { type AppFieldsRow, type AppRow, createAppRepository } from './app.repository.ts';
import { type App, isConfidential } from './app.schema.ts';
import { appPatchSchema, newAppSchema } from './app.validation.ts';

export { CLIENTS_CHANGED };

const HOUR_MS = 3_600_000;
const MAX_GRACE_HOURS = 720;

export interface AppServiceDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  access: Access;
  audit: AuditService;
  signals: SignalBus;
  /** Where a change saved but not announced to other nodes is reported. */
  logger: Pick<Logger, 'error'>;
}

/** The fields an audit entry shows: never a secret, sealed or not. */
const auditImage = (a: AppFieldsRow & { kind?: string; clientId?: string }) => ({
  ...(a.kind ? { kind: a.kind, clientId: a.clientId } : {}),
  name: a.name,
  redirectUris: a.redirectUris,
  postLogoutRedirectUris: a.postLogoutRedirectUris,
  firstParty: a.firstParty,
  grants: a.grants,
  refreshTokenReuseSeconds: a.refreshTokenReuseSeconds,
});

/**
 * Connected apps (APP-1, APP-2): registered by holders of `apps.manage` on the master, each with a
 * client ID unique across the installation and, for web and service apps, a 256-bit secret that is
 * shown once, stored sealed and compared in constant time.
 */
export function createAppService(deps: AppServiceDeps) {
  const { db, clock, box, access, audit, signals } = deps;
  const { audited } = audit;
  const apps = createAppRepository(db);
  const clients = createClientLookup({ db, clock, box, signals });
  const sealFor = (clientId: string, secret: string) => box.seal(secret, secretContext(clientId));

  const present = (row: AppRow, index?: TenantIndex) => presentApp(row, clock.now(), index);

  const manage = (ctx: RequestContext, tenantId: string) =>
    access.require(ctx, tenantId, 'apps.manage', tenantId);

  /**
   * REL-2: every change to a client is refused (503), with nothing changed, while other nodes
   * could not be told of it: a cached client must not outlive an update or removal.
   */
  const assertCanAnnounce = () => assertSignalsLive(signals);

  /** Tells every node's provider to drop its cached client; the change is already committed. */
  async function changed(clientId: string): Promise<void> {
    await announceSaved(signals, deps.logger, CLIENTS_CHANGED, JSON.stringify({ clientId }));
  }

  async function lockedApp(tx: Tx, tenantId: string, appId: string): Promise<AppRow> {
    const row = await createAppRepository(tx).findById(tenantId, appId, { forUpdate: true });
    assertThat(row, 'app.not_found');
    return row;
  }

  const nameTaken = (err: unknown) =>
    isUniqueViolation(err, 'apps_name_unique') ? new AppError('app.name_taken') : err;

  async function create(
    ctx: RequestContext,
    tenantId: string,
    input: unknown,
  ): Promise<{ app: App; clientSecret?: string }> {
    const valid = parseInput(newAppSchema, input);
    const index = await manage(ctx, tenantId);
    checkFirstPartyChange(ctx, valid.firstParty, false);
    checkGrants(ctx, index, valid.grants);
    assertCanAnnounce();
    const clientId = newClientId();
    const clientSecret = isConfidential(valid.kind) ? newClientSecret() : undefined;
    const app = await db.transaction(async (tx) => {
      const repo = createAppRepository(tx);
      const id = newId();
      await repo
        .insert(tenantId, {
          ...valid,
          id,
          clientId,
          secretSealed: clientSecret === undefined ? null : sealFor(clientId, clientSecret),
          at: clock.now(),
        })
        .catch((err: unknown) => {
          throw nameTaken(err);
        });
      const created = present((await repo.findById(tenantId, id))!);
      await audited(tx, ctx, 'app.create', { tenantId, type: 'app', id }, null, auditImage(created));
      return created;
    });
    await changed(clientId);
    return clientSecret === undefined ? { app } : { app, clientSecret };
  }

  async function list(ctx: RequestContext, tenantId: string): Promise<App[]> {
    const index = await manage(ctx, tenantId);
    return (await apps.list(tenantId)).map((row) => present(row, index));
  }

  async function get(ctx: RequestContext, tenantId: string, appId: string): Promise<App> {
    const index = await manage(ctx, tenantId);
    assertId(appId, 'app.not_found');
    const row = await apps.findById(tenantId, appId);
    assertThat(row, 'app.not_found');
    return present(row, index);
  }

  /** Any field but the kind; the app is checked whole afterwards, so the kind's rules always hold. */
  async function update(ctx: RequestContext, tenantId: string, appId: string, patch: unknown): Promise<App> {
    const p = parseInput(appPatchSchema, patch);
    const index = await manage(ctx, tenantId);
    assertId(appId, 'app.not_found');
    assertCanAnnounce();
    const app = await db.transaction(async (tx) => {
      const current = await lockedApp(tx, tenantId, appId);
      checkFirstPartyChange(ctx, p.firstParty, current.firstParty);
      checkFirstPartyRedirects(ctx, current, p.redirectUris);
      const kept = liveGrants(index, current.grants);
      const next = parseInput(newAppSchema, {
        kind: current.kind,
        name: p.name ?? current.name,
        redirectUris: p.redirectUris ?? current.redirectUris,
        postLogoutRedirectUris: p.postLogoutRedirectUris ?? current.postLogoutRedirectUris,
        firstParty: p.firstParty ?? current.firstParty,
        grants: p.grants ?? kept,
        refreshTokenReuseSeconds: p.refreshTokenReuseSeconds ?? current.refreshTokenReuseSeconds,
      });
      checkGrants(ctx, index, next.grants, kept);
      const repo = createAppRepository(tx);
      await repo.update(tenantId, appId, next, clock.now()).catch((err: unknown) => {
        throw nameTaken(err);
      });
      const updated = present((await repo.findById(tenantId, appId))!, index);
      const before = auditImage({ ...current, grants: kept });
      await audited(tx, ctx, 'app.update', { tenantId, type: 'app', id: appId }, before, auditImage(updated));
      return updated;
    });
    await changed(app.clientId);
    return app;
  }

  async function remove(ctx: RequestContext, tenantId: string, appId: string): Promise<void> {
    await manage(ctx, tenantId);
    assertId(appId, 'app.not_found');
    assertCanAnnounce();
    const clientId = await db.transaction(async (tx) => {
      const current = await lockedApp(tx, tenantId, appId);
      await createAppRepository(tx).delete(tenantId, appId);
      await audited(tx, ctx, 'app.delete', { tenantId, type: 'app', id: appId }, auditImage(current));
      return current.clientId;
    });
    await changed(clientId);
  }

  /**
   * A new secret, shown this once. By default the old one stops working at once (a rotation is
   * often a reaction to a leak); `graceHours` keeps it valid that long, so a deployed app can
   * switch over without an outage. Taking a service app's secret needs its grants' permissions.
   */
  async function rotateSecret(
    ctx: RequestContext,
    tenantId: string,
    appId: string,
    options: { graceHours?: number } = {},
  ): Promise<{ app: App; clientSecret: string }> {
    const graceHours = options.graceHours ?? 0;
    if (!Number.isInteger(graceHours) || graceHours < 0 || graceHours > MAX_GRACE_HOURS)
      throw invalidInput('graceHours', `must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`);
    const index = await manage(ctx, tenantId);
    assertId(appId, 'app.not_found');
    assertCanAnnounce();
    const clientSecret = newClientSecret();
    const app = await db.transaction(async (tx) => {
      const current = await lockedApp(tx, tenantId, appId);
      assertThat(current.secretSealed !== null, 'app.public_client');
      checkMayActAs(ctx, index, current.grants);
      const now = clock.now();
      const repo = createAppRepository(tx);
      await repo.replaceSecret(tenantId, appId, {
        secretSealed: sealFor(current.clientId, clientSecret),
        previousSecretSealed: graceHours > 0 ? current.secretSealed : null,
        previousSecretExpiresAt: graceHours > 0 ? new Date(now.getTime() + graceHours * HOUR_MS) : null,
        at: now,
      });
      const after = { clientId: current.clientId, graceHours };
      await audited(tx, ctx, 'app.secret.rotate', { tenantId, type: 'app', id: appId }, null, after);
      return present((await repo.findById(tenantId, appId))!, index);
    });
    await changed(app.clientId);
    return { app, clientSecret };
  }

  const firstParty = createFirstPartyOperations({
    db,
    clock,
    audit,
    present: (row) => present(row),
    changed,
  });

  return {
    create,
    list,
    get,
    update,
    remove,
    rotateSecret,
    /** SEC-1, the operator only: set or clear an app's first-party flag (named by id or client ID). */
    setFirstParty: async (...args: Parameters<typeof firstParty.setFirstParty>) => {
      assertCanAnnounce();
      return firstParty.setFirstParty(...args);
    },
    /** SEC-1, the operator only: every first-party app of every tenant, for review. */
    listFirstParty: firstParty.listFirstParty,
    /** For the provider: the app behind a client ID, whatever its tenant (client IDs are global). */
    findByClientId: clients.findByClientId,
    /** For the provider's client authentication: constant-time, never throws for a wrong secret. */
    verifySecret: clients.verifySecret,
    /** Drops what this node remembers of a client's secrets (their owner changed them). */
    forgetClient: clients.forgetClient,
    /** Every node, at start: what it and `others` remember of a client goes when any node changes it. */
    followClientChanges: (others: readonly ClientMemory[]) =>
      followClientChanges(signals, [clients, ...others]),
  };
}

export type AppService = ReturnType<typeof createAppService>;
