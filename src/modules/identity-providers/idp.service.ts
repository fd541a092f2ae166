import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import { assertId, assertThat } from '../../platform/errors/index.ts';
import { createLocalAccounts } from './idp.local-accounts.ts';
import { auditImage, presentProvider } from './idp.present.ts';
import { createIdpReads, secretContext } from './idp.reads.ts';
import { createIdpRepository, type ProviderRow } from './idp.repository.ts';
import { keepOneEnabled, lockedProvider, nameTaken, refuseExpired } from './idp.rules.ts';
import { type IdentityProvider, mappingSource } from './idp.schema.ts';
import { requireMayRevokeMappings } from './idp.trust.ts';
import type { IdpServiceDeps } from './idp.types.ts';
import { createProviderUpdate } from './idp.update.ts';
import { newProviderSchema, parseWithIssuerPolicy } from './idp.validation.ts';

export type { IdpServiceDeps } from './idp.types.ts';

/**
 * Identity providers of a master org (FED-1), managed by holders of `idp.manage` on the master,
 * and its switch for local account creation (FED-5, idp.local-accounts.ts). An update, the longest
 * operation, has a file of its own (idp.update.ts).
 */
export function createIdpService(deps: IdpServiceDeps) {
  const { db, clock, box, access, publicUrl } = deps;
  const { audited } = deps.audit;
  const repo = createIdpRepository(db);
  const present = (row: ProviderRow) => presentProvider(row, publicUrl);
  const manage = (ctx: RequestContext, tenantId: string) =>
    access.require(ctx, tenantId, 'idp.manage', tenantId);
  const providerTarget = (tenantId: string, id: string) => ({ tenantId, type: 'identity_provider', id });

  async function create(ctx: RequestContext, tenantId: string, input: unknown): Promise<IdentityProvider> {
    const valid = parseWithIssuerPolicy(newProviderSchema, input, deps.network);
    await manage(ctx, tenantId);
    if (valid.kind === 'saml') refuseExpired(valid.config, clock.now());
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
      await audited(tx, ctx, 'identity_provider.create', providerTarget(tenantId, id), null, auditImage(row));
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
      const current = await lockedProvider(tx, tenantId, id);
      await requireMayRevokeMappings(tx, ctx, { index, assignments: deps.assignments }, id);
      await keepOneEnabled(tx, tenantId, current);
      const kept = await deps.assignments.revokeSourceInTx(tx, ctx, tenantId, mappingSource(id));
      await createIdpRepository(tx).delete(tenantId, id);
      const target = providerTarget(tenantId, id);
      const after = kept.length > 0 ? { keptForOwners: kept.map((a) => a.id) } : null;
      await audited(tx, ctx, 'identity_provider.delete', target, auditImage(current), after);
    });
  }

  return {
    create,
    list,
    get,
    update: createProviderUpdate(deps),
    remove,
    ...createLocalAccounts(deps),
    ...createIdpReads({ db, box, publicUrl }),
  };
}

export type IdpService = ReturnType<typeof createIdpService>;
