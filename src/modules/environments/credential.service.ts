import { isClientIdShaped } from '../../platform/client-id.ts';
import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newClientId, newClientSecret } from '../../platform/crypto/random.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { createSecretVerifier } from '../../platform/crypto/secret-verifier.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError, assertId, assertThat } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { announceSaved, assertSignalsLive, CLIENTS_CHANGED, type SignalBus } from '../../platform/signals.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from '../roles/index.ts';
import { type CredentialRow, createCredentialRepository } from './credential.repository.ts';
import type { ClientCredentials } from './environment.schema.ts';

const HOUR_MS = 3_600_000;

/** Who a verified client ID and secret belong to. */
export interface VerifiedClient {
  clientId: string;
  tenantId: string;
  organizationId: string;
  environmentId: string | null;
}

/**
 * Client credentials of org nodes and environments (CRED-1…CRED-6). Secrets are sealed with the
 * operator key, bound to their client ID, read only by `credentials.view` holders (audited) and
 * compared in constant time.
 */
export function createCredentialService(deps: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  access: Access;
  audit: AuditService;
  signals: SignalBus;
  /** Where a change saved but not announced to other nodes is reported. */
  logger: Pick<Logger, 'error'>;
  rotationGraceHours: number;
}) {
  const { db, clock, box, access, audit, signals } = deps;
  const { audited } = audit;
  const credentials = createCredentialRepository(db);
  const sealFor = (clientId: string, secret: string) => box.seal(secret, `client_credentials:${clientId}`);
  const openFor = (clientId: string, sealed: string) => box.open(sealed, `client_credentials:${clientId}`);

  /** Generates a client ID and a 256-bit secret for a node or environment, inside the caller's transaction. */
  async function issueInTx(
    tx: Tx,
    tenantId: string,
    orgId: string,
    environmentId: string | null,
  ): Promise<string> {
    const clientId = newClientId();
    await createCredentialRepository(tx).insert(tenantId, {
      clientId,
      orgId,
      environmentId,
      secretSealed: sealFor(clientId, newClientSecret()),
      at: clock.now(),
    });
    return clientId;
  }

  function present(row: CredentialRow): ClientCredentials {
    return {
      clientId: row.clientId,
      clientSecret: openFor(row.clientId, row.secretSealed),
      organizationId: row.orgId,
      environmentId: row.environmentId,
      legacy: row.environmentId === null,
      previousSecretExpiresAt: row.previousSecretExpiresAt,
    };
  }

  /** CRED-2: reading a secret needs `credentials.view` there, and every read is audited. */
  async function read(
    ctx: RequestContext,
    tenantId: string,
    target: { orgId: string; environmentId: string | null },
  ): Promise<ClientCredentials> {
    await access.require(ctx, tenantId, 'credentials.view', target.orgId, target.environmentId ?? undefined);
    const row = await credentials.findFor(tenantId, target);
    assertThat(row, 'credentials.not_found');
    await audit.recordNow(ctx, {
      tenantId,
      orgId: target.orgId,
      action: 'credentials.read',
      target: { type: 'client_credentials', id: row.clientId },
    });
    return present(row);
  }

  /**
   * CRED-5: a new environment secret; the previous one keeps working for the grace period
   * (the configured default unless the caller names one; 0 ends it at once).
   */
  async function rotateEnvironmentSecret(
    ctx: RequestContext,
    tenantId: string,
    target: { orgId: string; environmentId: string },
    graceHours = deps.rotationGraceHours,
  ): Promise<ClientCredentials> {
    assertThat(
      Number.isInteger(graceHours) && graceHours >= 0 && graceHours <= 720,
      'request.invalid_input',
      {
        fields: [{ field: 'graceHours', problem: 'must be a whole number of hours from 0 to 720' }],
      },
    );
    await access.require(ctx, tenantId, 'credentials.rotate', target.orgId, target.environmentId);
    return replaceSecret(ctx, tenantId, target, graceHours);
  }

  /** CRED-5, operator path: a node's org-level secret is replaced at once (the CLI's reset-credentials). */
  async function resetOrgSecret(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
  ): Promise<ClientCredentials> {
    if (ctx.actor.kind !== 'operator')
      throw new AppError('auth.permission_denied', { permission: 'operator' });
    assertId(tenantId, 'organization.not_found');
    assertId(orgId, 'organization.not_found');
    return replaceSecret(ctx, tenantId, { orgId, environmentId: null }, 0);
  }

  async function replaceSecret(
    ctx: RequestContext,
    tenantId: string,
    target: { orgId: string; environmentId: string | null },
    graceHours: number,
  ): Promise<ClientCredentials> {
    // REL-2: the new secret is shown once; a change other nodes cannot hear of is refused before it is made.
    assertSignalsLive(signals);
    const replaced = await db.transaction(async (tx) => {
      const repo = createCredentialRepository(tx);
      const current = await repo.findFor(tenantId, target, { forUpdate: true });
      assertThat(current, 'credentials.not_found');
      const now = clock.now();
      const keepPrevious = graceHours > 0;
      await repo.replaceSecret(tenantId, current.clientId, {
        secretSealed: sealFor(current.clientId, newClientSecret()),
        previousSecretSealed: keepPrevious ? current.secretSealed : null,
        previousSecretExpiresAt: keepPrevious ? new Date(now.getTime() + graceHours * HOUR_MS) : null,
        at: now,
      });
      const action = target.environmentId ? 'credentials.rotate' : 'credentials.reset';
      const replacedOn = { tenantId, orgId: target.orgId, type: 'client_credentials', id: current.clientId };
      await audited(tx, ctx, action, replacedOn, null, { graceHours });
      const updated = await repo.findFor(tenantId, target);
      return present(updated!);
    });
    await announce({ clientId: replaced.clientId });
    return replaced;
  }

  /** After a commit that changed or removed secrets: this node forgets them, and tells the others. */
  async function announce(change: { clientId: string } | { all: true }): Promise<void> {
    if ('all' in change) verifier.clear();
    else verifier.forget(change.clientId);
    // REL-2: checked before the change was made (assertSignalsLive); a link broken since is logged.
    await announceSaved(signals, deps.logger, CLIENTS_CHANGED, JSON.stringify(change));
  }

  // Client authentication runs on every token request: secrets are read and opened once a minute at
  // most, then compared as digests in constant time (see createSecretVerifier).
  const verifier = createSecretVerifier<VerifiedClient>({
    now: () => clock.now().getTime(),
    link: signals,
    async load(clientId) {
      const row = await credentials.resolveClientId(clientId);
      if (!row) return undefined;
      return {
        current: openFor(row.clientId, row.secretSealed),
        previous: row.previousSecretSealed === null ? null : openFor(row.clientId, row.previousSecretSealed),
        previousExpiresAt: row.previousSecretExpiresAt,
        data: {
          clientId: row.clientId,
          tenantId: row.tenantId,
          organizationId: row.orgId,
          environmentId: row.environmentId,
        },
      };
    },
  });

  /**
   * Client authentication (CRED-3, CRED-6): the current secret, or the previous one inside its
   * grace period, compared in constant time.
   */
  async function verifySecret(clientId: string, secret: string): Promise<VerifiedClient | null> {
    if (!isClientIdShaped(clientId)) return null;
    return (await verifier.verify(clientId, secret)) ?? null;
  }

  /** For the provider: who a client ID belongs to (the client ID names its tenant). */
  async function findClient(clientId: string): Promise<VerifiedClient | undefined> {
    const row = isClientIdShaped(clientId) ? await credentials.resolveClientId(clientId) : undefined;
    return row
      ? {
          clientId: row.clientId,
          tenantId: row.tenantId,
          organizationId: row.orgId,
          environmentId: row.environmentId,
        }
      : undefined;
  }

  return {
    issueInTx,
    read,
    rotateEnvironmentSecret,
    resetOrgSecret,
    verifySecret,
    findClient,
    /** Drops what this node remembers of a client's secrets (changed here or on another node). */
    forgetClient: verifier.forget,
    forgetAllClients: verifier.clear,
    /**
     * REL-2, before removing what holds credentials (business groups, environments): refused (503),
     * with nothing changed, when other nodes could not be told.
     */
    assertCanAnnounce: () => assertSignalsLive(signals),
    /** Business groups and environments take their credentials with them: every node forgets. */
    announceRemoved: () => announce({ all: true }),
  };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
