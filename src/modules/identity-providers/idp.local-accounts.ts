import type { RequestContext } from '../../platform/context.ts';
import { assertThat } from '../../platform/errors/index.ts';
import { nodeTarget } from '../audit/index.ts';
import { createIdpRepository } from './idp.repository.ts';
import type { IdpServiceDeps } from './idp.types.ts';

/** FED-5: the master org's switch for creating local accounts (sign-up links, invitations). */
export function createLocalAccounts(deps: IdpServiceDeps) {
  const { db, clock, access } = deps;
  const { audited } = deps.audit;
  const repo = createIdpRepository(db);

  /** The master itself, or a 422 for a business group (and a 404 for a node outside the tenant). */
  async function requireMaster(ctx: RequestContext, tenantId: string, orgId: string) {
    const index = await access.require(ctx, tenantId, 'idp.manage', tenantId);
    assertThat(index.node(orgId), 'organization.not_found');
    assertThat(orgId === tenantId, 'organization.not_master');
  }

  async function localAccounts(ctx: RequestContext, tenantId: string, orgId: string) {
    await requireMaster(ctx, tenantId, orgId);
    const master = await repo.master(tenantId);
    assertThat(master, 'organization.not_found');
    return { organizationId: tenantId, localAccountsEnabled: master.localAccountsEnabled };
  }

  /** Off only while a provider is enabled; existing local users keep signing in. */
  async function setLocalAccounts(ctx: RequestContext, tenantId: string, orgId: string, enabled: boolean) {
    await requireMaster(ctx, tenantId, orgId);
    return db.transaction(async (tx) => {
      const r = createIdpRepository(tx);
      const master = await r.master(tenantId, { forUpdate: true });
      assertThat(master, 'organization.not_found');
      if (!enabled) assertThat((await r.countEnabled(tenantId)) > 0, 'identity_provider.none_enabled');
      if (master.localAccountsEnabled !== enabled) {
        await r.setLocalAccounts(tenantId, enabled, clock.now());
        const target = nodeTarget(tenantId, tenantId);
        const before = { localAccountsEnabled: master.localAccountsEnabled };
        const after = { localAccountsEnabled: enabled };
        await audited(tx, ctx, 'organization.local_accounts.update', target, before, after);
      }
      return { organizationId: tenantId, localAccountsEnabled: enabled };
    });
  }

  return { localAccounts, setLocalAccounts };
}
