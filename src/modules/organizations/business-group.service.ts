import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertThat, invalidInput, parseInput } from '../../platform/errors/index.ts';
import { dropGrantsOnNodesInTx } from '../apps/index.ts';
import { type AuditService, nodeTarget } from '../audit/index.ts';
import type { CredentialService } from '../environments/index.ts';
import {
  type Access,
  type AssignmentService,
  ORGANIZATION_ADMINISTRATORS,
  type TenantDirectory,
} from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import { createOrganizationRepository } from './organization.repository.ts';
import {
  type Entitlements,
  entitlementsSchema,
  newBusinessGroupSchema,
  type Organization,
} from './organization.schema.ts';

/** Business groups: creation (ORG-6), entitlements (ORG-7) and deletion (ORG-8). */
export function createBusinessGroupService(deps: {
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  users: UserService;
  assignments: AssignmentService;
  credentials: CredentialService;
  maxBusinessGroups: number;
}) {
  const { clock, directory, access, audit, users, assignments, credentials } = deps;
  const { audited } = audit;

  async function create(
    ctx: RequestContext,
    tenantId: string,
    parentId: string,
    input: unknown,
  ): Promise<Organization> {
    const valid = parseInput(newBusinessGroupSchema, input);
    await access.require(ctx, tenantId, 'orgs.create', parentId);
    const entitlements: Entitlements = {
      createSubOrgs: valid.entitlements?.createSubOrgs ?? false,
      createEnvironments: valid.entitlements?.createEnvironments ?? false,
    };
    if (entitlements.createSubOrgs || entitlements.createEnvironments || valid.properties) {
      await access.require(ctx, tenantId, 'orgs.properties.manage', parentId);
    }
    const { actor } = ctx;
    const ownerUserId = valid.ownerUserId ?? (actor.kind === 'user' ? actor.userId : undefined);
    if (!ownerUserId) throw invalidInput('ownerUserId', 'is required when no user is acting');

    try {
      return await directory.change(tenantId, { tree: true, users: [ownerUserId] }, async (tx) => {
        const repo = createOrganizationRepository(tx);
        const parent = await repo.findById(tenantId, parentId, { forUpdate: true });
        assertThat(parent, 'organization.not_found');
        assertThat(parent.entitlements.createSubOrgs, 'business_group.not_entitled');
        assertThat(
          (!entitlements.createSubOrgs || parent.entitlements.createSubOrgs) &&
            (!entitlements.createEnvironments || parent.entitlements.createEnvironments),
          'business_group.entitlement_not_on_parent',
        );
        const count = await repo.countBusinessGroups(tenantId);
        assertThat(count < deps.maxBusinessGroups, 'business_group.limit_reached', {
          limit: deps.maxBusinessGroups,
        });

        // ORG-4: the owner must administer the new node. Administrators of the parent already do
        // (it always inherits); anyone else is made one here, which only an administrator of the
        // parent may do (ROLE-5: nobody grants what they do not hold).
        const ownerActive = (await users.findActive(tx, tenantId, ownerUserId)) !== undefined;
        assertThat(ownerActive, 'organization.owner_not_eligible', { ownerUserId });
        const ownerAdministers = await assignments.isAdministratorInTx(tx, tenantId, ownerUserId, parentId);
        const actorAdministers =
          actor.kind === 'operator' ||
          (actor.kind === 'user' &&
            (await assignments.isAdministratorInTx(tx, tenantId, actor.userId, parentId)));
        assertThat(ownerAdministers || actorAdministers, 'organization.owner_not_eligible', { ownerUserId });

        const id = newId();
        await repo.insert(tenantId, {
          id,
          parentId,
          name: valid.name,
          domain: null,
          ownerUserId,
          entitlements,
          properties: valid.properties ?? {},
          sessionTimeoutMinutes: null,
          sessionMaxMinutes: null,
          at: clock.now(),
        });
        await credentials.issueInTx(tx, tenantId, id, null);
        const group = (await repo.findById(tenantId, id))!;
        await audited(tx, ctx, 'business_group.create', nodeTarget(tenantId, id), null, group);
        if (!ownerAdministers) {
          await assignments.grantAndAuditInTx(tx, ctx, tenantId, {
            userId: ownerUserId,
            roleId: ORGANIZATION_ADMINISTRATORS.id,
            organizationId: id,
            environmentId: null,
            inherit: true,
          });
        }
        return group;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'organizations_sibling_name_unique'))
        throw new AppError('business_group.name_taken');
      throw err;
    }
  }

  /**
   * ORG-7: a group's entitlements are set on its parent's authority, and only to what the parent
   * has. Turning one off turns it off for every group below too, so the rule keeps holding.
   */
  async function setEntitlements(ctx: RequestContext, tenantId: string, groupId: string, input: unknown) {
    const patch = parseInput(entitlementsSchema, input);
    const index = await access.tenantIndexFor(ctx, tenantId);
    assertThat(index.node(groupId), 'organization.not_found');
    const parentId = index.node(groupId)?.parent?.id;
    // Whoever may not manage properties here learns nothing more (not even that this is the master).
    await access.require(ctx, tenantId, 'orgs.properties.manage', parentId ?? groupId);
    assertThat(
      parentId,
      'organization.not_master',
      undefined,
      'The master organization holds every entitlement',
    );
    return directory.change(tenantId, { tree: true }, async (tx) => {
      const repo = createOrganizationRepository(tx);
      const group = await repo.findById(tenantId, groupId, { forUpdate: true });
      assertThat(group?.parentId, 'organization.not_found');
      const parent = (await repo.findById(tenantId, group.parentId))!;
      assertThat(
        (patch.createSubOrgs !== true || parent.entitlements.createSubOrgs) &&
          (patch.createEnvironments !== true || parent.entitlements.createEnvironments),
        'business_group.entitlement_not_on_parent',
      );
      const at = clock.now();
      await repo.update(tenantId, groupId, { entitlements: patch, at });
      const cascaded: string[] = [];
      if (patch.createSubOrgs === false)
        cascaded.push(...(await repo.revokeEntitlementBelow(tenantId, groupId, 'create_sub_orgs', at)));
      if (patch.createEnvironments === false) {
        cascaded.push(...(await repo.revokeEntitlementBelow(tenantId, groupId, 'create_environments', at)));
      }
      const after = (await repo.findById(tenantId, groupId))!;
      const alsoRevokedOn = [...new Set(cascaded)];
      const changed = { ...after.entitlements, ...(alsoRevokedOn.length > 0 ? { alsoRevokedOn } : {}) };
      const target = nodeTarget(tenantId, groupId);
      await audited(tx, ctx, 'business_group.entitlements.update', target, group.entitlements, changed);
      return after;
    });
  }

  /**
   * ORG-8: only a group without children; its environments, credentials and assignments go with it
   * (foreign keys), and so do the service apps' grants on it (REL-6), in the same transaction.
   */
  async function remove(ctx: RequestContext, tenantId: string, groupId: string): Promise<void> {
    await access.require(ctx, tenantId, 'orgs.delete', groupId);
    credentials.assertCanAnnounce(); // REL-2: other nodes must hear that its credentials are gone
    await directory.change(tenantId, { tree: true }, async (tx) => {
      const repo = createOrganizationRepository(tx);
      const group = await repo.findById(tenantId, groupId, { forUpdate: true });
      assertThat(group, 'organization.not_found');
      assertThat(!group.isMaster, 'organization.master_not_deletable');
      const children = await repo.countChildren(tenantId, groupId);
      assertThat(children === 0, 'business_group.has_children', { children });
      await repo.delete(tenantId, groupId);
      await audited(tx, ctx, 'business_group.delete', nodeTarget(tenantId, groupId), group);
      // It has no children (checked above): the group is the whole subtree that goes.
      await dropGrantsOnNodesInTx(tx, audit, ctx, tenantId, [groupId], clock.now());
    });
    // Every node forgets every cached client: its credentials, and the apps whose grants changed.
    await credentials.announceRemoved();
  }

  return { create, setEntitlements, remove };
}

export type BusinessGroupService = ReturnType<typeof createBusinessGroupService>;
