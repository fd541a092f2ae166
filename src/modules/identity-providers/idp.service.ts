import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, invalidInput, parseInput } from '../../platform/errors/index.ts';
import type { NetworkPolicy } from '../../platform/net/address-policy.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, AssignmentService, TenantDirectory } from '../roles/index.ts';
import { settingsFromMetadata } from './idp.metadata-import.ts';
import { auditImage, presentProvider } from './idp.present.ts';
import { createIdpReads, secretContext } from './idp.reads.ts';
import { createIdpRepository, type ProviderRow } from './idp.repository.ts';
import { type IdentityProvider, mappingSource, type OidcConfig, type SamlConfig } from './idp.schema.ts';
import { requireMayRetrust, requireMayRevokeMappings, trustChanges } from './idp.trust.ts';
import {
  configSchemaOf,
  newProviderSchema,
  parseWithIssuerPolicy,
  providerPatchSchema,
} from './idp.validation.ts';

export interface IdpServiceDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  access: Access;
  audit: AuditService;
  directory: TenantDirectory;
  assignments: Pick<AssignmentService, 'revokeSourceInTx' | 'missingToConferInTx'>;
  /** PUBLIC_URL: the SP entity id, ACS and redirect URIs hang off it (idp.metadata.ts). */
  publicUrl: string;
  /** FEDERATION_ALLOW_PRIVATE_NETWORKS: which OIDC issuers may be configured (SEC-5). */
  network: NetworkPolicy;
}

/**
 * Identity providers of a master org (FED-1), managed by holders of `idp.manage` on the master,
 * and its switch for local account creation (FED-5).
 */
export function createIdpService(deps: IdpServiceDeps) {
  const { db, clock, box, access, audit, publicUrl } = deps;
  const repo = createIdpRepository(db);
  const present = (row: ProviderRow) => presentProvider(row, publicUrl);
  const manage = (ctx: RequestContext, tenantId: string) =>
    access.require(ctx, tenantId, 'idp.manage', tenantId);
  const nameTaken = (err: unknown) =>
    isUniqueViolation(err, 'identity_providers_name_unique')
      ? new AppError('identity_provider.name_taken')
      : err;

  /** Certificates that expired are refused when they are added (a stored one may expire later). */
  function refuseExpired(config: SamlConfig, known: readonly string[] = []): void {
    const now = clock.now();
    config.signingCertificates.forEach((pem, i) => {
      const notAfter = new Date(new X509Certificate(pem).validTo);
      if (!known.includes(pem) && notAfter < now)
        throw invalidInput(`config.signingCertificates.${i}`, `expired on ${notAfter.toISOString()}`);
    });
  }

  async function locked(tx: Tx, tenantId: string, id: string) {
    const row = await createIdpRepository(tx).findById(tenantId, id, { forUpdate: true });
    assertThat(row, 'identity_provider.not_found');
    return row;
  }

  /** FED-5: with local accounts off, the last enabled provider stays (nobody is locked out). */
  async function keepOneEnabled(tx: Tx, tenantId: string, leaving: ProviderRow) {
    const r = createIdpRepository(tx);
    const master = await r.master(tenantId, { forUpdate: true });
    assertThat(master, 'organization.not_found');
    if (!leaving.enabled || master.localAccountsEnabled) return;
    assertThat((await r.countEnabled(tenantId)) > 1, 'identity_provider.last_enabled');
  }

  async function create(ctx: RequestContext, tenantId: string, input: unknown): Promise<IdentityProvider> {
    const valid = parseWithIssuerPolicy(newProviderSchema, input, deps.network);
    await manage(ctx, tenantId);
    if (valid.kind === 'saml') refuseExpired(valid.config);
    const id = newId();
    const row: Omit<ProviderRow, 'tenantId' | 'updatedAt'> = {
      id,
      kind: valid.kind,
      name: valid.name,
      enabled: valid.enabled,
      config: valid.config,
      secretSealed: valid.kind === 'oidc' ? box.seal(valid.clientSecret, secretContext(id)) : null,
      createdAt: clock.now(),
    };
    return db.transaction(async (tx) => {
      const r = createIdpRepository(tx);
      await r.insert(tenantId, row).catch((err: unknown) => {
        throw nameTaken(err);
      });
      await audit.record(tx, ctx, {
        tenantId,
        orgId: tenantId,
        action: 'identity_provider.create',
        target: { type: 'identity_provider', id },
        after: auditImage(row),
      });
      return present((await r.findById(tenantId, id))!);
    });
  }

  async function list(ctx: RequestContext, tenantId: string): Promise<IdentityProvider[]> {
    await manage(ctx, tenantId);
    return (await repo.list(tenantId)).map(present);
  }

  async function get(ctx: RequestContext, tenantId: string, id: string): Promise<IdentityProvider> {
    await manage(ctx, tenantId);
    assertId(id, 'identity_provider.not_found');
    const row = await repo.findById(tenantId, id);
    assertThat(row, 'identity_provider.not_found');
    return present(row);
  }

  /**
   * Any field but the kind; `config` is merged into the current settings, then checked whole.
   * A change of trust anchor needs everything the provider confers (SEC-4).
   */
  async function update(ctx: RequestContext, tenantId: string, id: string, input: unknown) {
    const patch = parseWithIssuerPolicy(providerPatchSchema, input, deps.network);
    const index = await manage(ctx, tenantId); // loaded outside the transaction: one connection
    assertId(id, 'identity_provider.not_found');
    return db.transaction(async (tx) => {
      const r = createIdpRepository(tx);
      const master = await r.master(tenantId, { forUpdate: true }); // lock order: master, then provider
      assertThat(master, 'organization.not_found');
      const current = await locked(tx, tenantId, id);
      const schema = configSchemaOf[current.kind] as z.ZodType<SamlConfig | OidcConfig>;
      if (current.kind !== 'saml' && patch.metadataXml !== undefined)
        throw invalidInput('metadataXml', 'only SAML providers import metadata');
      // FED-1: the document replaces what it supplies; values named in this same patch still win.
      const imported = patch.metadataXml === undefined ? {} : settingsFromMetadata(patch.metadataXml);
      if ('problem' in imported) throw invalidInput('metadataXml', imported.problem);
      const merged = { ...current.config, ...imported, ...patch.config };
      const config = parseInput(z.strictObject({ config: schema }), { config: merged }).config;
      if (current.kind === 'saml')
        refuseExpired(config as SamlConfig, (current.config as SamlConfig).signingCertificates);
      if (current.kind === 'saml' && patch.clientSecret !== undefined)
        throw invalidInput('clientSecret', 'only OIDC providers have a client secret');
      const supplied = Object.keys({ ...imported, ...patch.config });
      const retrusted = trustChanges(current.kind, current.config, config, { ...patch, supplied });
      if (retrusted.length > 0)
        await requireMayRetrust(tx, ctx, { index, assignments: deps.assignments }, id, retrusted);
      const enabled = patch.enabled ?? current.enabled;
      if (!enabled) await keepOneEnabled(tx, tenantId, current);
      const next = {
        name: patch.name ?? current.name,
        enabled,
        config,
        secretSealed:
          patch.clientSecret === undefined
            ? current.secretSealed
            : box.seal(patch.clientSecret, secretContext(id)),
        at: clock.now(),
      };
      await r.update(tenantId, id, next).catch((err: unknown) => {
        throw nameTaken(err);
      });
      const after = { ...current, ...next };
      await audit.record(tx, ctx, {
        tenantId,
        orgId: tenantId,
        action: 'identity_provider.update',
        target: { type: 'identity_provider', id },
        before: auditImage(current),
        after: {
          ...auditImage(after),
          ...(patch.clientSecret === undefined ? {} : { credentialReplaced: true }),
          ...(retrusted.length > 0 ? { trustChanged: retrusted } : {}),
        },
      });
      return present((await r.findById(tenantId, id))!);
    });
  }

  /** Its group mappings and federated identities go with it; its users stay (FED-3 data). */
  async function remove(ctx: RequestContext, tenantId: string, id: string): Promise<void> {
    const index = await manage(ctx, tenantId); // loaded outside the transaction: one connection
    assertId(id, 'identity_provider.not_found');
    // The roles its group mappings granted go with it (an owner's Organization Administrators
    // excepted, ORG-5, kept as manual): removing a provider one no longer trusts must not leave its
    // grants behind, nor assignments naming it (REL-6). 'everything': every node reloads its index.
    await deps.directory.change(tenantId, 'everything', async (tx) => {
      const master = await createIdpRepository(tx).master(tenantId, { forUpdate: true });
      assertThat(master, 'organization.not_found');
      const current = await locked(tx, tenantId, id);
      await requireMayRevokeMappings(tx, ctx, { index, assignments: deps.assignments }, id);
      await keepOneEnabled(tx, tenantId, current);
      const kept = await deps.assignments.revokeSourceInTx(tx, ctx, tenantId, mappingSource(id));
      await createIdpRepository(tx).delete(tenantId, id);
      await audit.record(tx, ctx, {
        tenantId,
        orgId: tenantId,
        action: 'identity_provider.delete',
        target: { type: 'identity_provider', id },
        before: auditImage(current),
        after: kept.length > 0 ? { keptForOwners: kept.map((a) => a.id) } : undefined,
      });
    });
  }

  /** The master itself, or a 422 for a business group (and a 404 for a node outside the tenant). */
  async function requireMaster(ctx: RequestContext, tenantId: string, orgId: string) {
    const index = await manage(ctx, tenantId);
    assertThat(index.node(orgId), 'organization.not_found');
    assertThat(orgId === tenantId, 'organization.not_master');
  }

  async function localAccounts(ctx: RequestContext, tenantId: string, orgId: string) {
    await requireMaster(ctx, tenantId, orgId);
    const master = await repo.master(tenantId);
    assertThat(master, 'organization.not_found');
    return { organizationId: tenantId, localAccountsEnabled: master.localAccountsEnabled };
  }

  /** FED-5: off only while a provider is enabled; existing local users keep signing in. */
  async function setLocalAccounts(ctx: RequestContext, tenantId: string, orgId: string, enabled: boolean) {
    await requireMaster(ctx, tenantId, orgId);
    return db.transaction(async (tx) => {
      const r = createIdpRepository(tx);
      const master = await r.master(tenantId, { forUpdate: true });
      assertThat(master, 'organization.not_found');
      if (!enabled) assertThat((await r.countEnabled(tenantId)) > 0, 'identity_provider.none_enabled');
      if (master.localAccountsEnabled !== enabled) {
        await r.setLocalAccounts(tenantId, enabled, clock.now());
        await audit.record(tx, ctx, {
          tenantId,
          orgId: tenantId,
          action: 'organization.local_accounts.update',
          target: { type: 'organization', id: tenantId },
          before: { localAccountsEnabled: master.localAccountsEnabled },
          after: { localAccountsEnabled: enabled },
        });
      }
      return { organizationId: tenantId, localAccountsEnabled: enabled };
    });
  }

  return {
    create,
    list,
    get,
    update,
    remove,
    localAccounts,
    setLocalAccounts,
    ...createIdpReads({ db, box, publicUrl }),
  };
}

export type IdpService = ReturnType<typeof createIdpService>;
