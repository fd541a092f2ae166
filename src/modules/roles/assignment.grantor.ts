import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { assertId, assertThat } from '../../platform/errors/index.ts';
import type { Access, MissingPermissions } from './access.ts';
import type { Grant } from './assignment.grant.ts';
import { ORGANIZATION_ADMINISTRATORS } from './built-in-roles.ts';
import type { TenantIndex } from './directory/tenant-index.ts';
import { ENVIRONMENT_SCOPABLE_MASK, maskOf } from './permissions.ts';
import { createRoleRepository } from './role.repository.ts';
import type { Role } from './role.schema.ts';

/** A grant as asked for: environment and inheritance may be left out. */
export interface GrantRequest {
  roleId: string;
  organizationId: string;
  environmentId?: string | null;
  inherit?: boolean;
}

/** What a grant confers, whoever it is made to. */
type Conferred = Omit<Grant, 'userId' | 'source'>;

/** The permissions a grant hands out: environment grants carry only environment-scoped ones. */
export function grantedMask(role: Role, environmentId: string | null): number {
  const mask = maskOf(role.permissions);
  return environmentId ? mask & ENVIRONMENT_SCOPABLE_MASK : mask;
}

/** Normalizes inherit/environment against the role: Organization Administrators always inherits. */
export function shapeGrant(role: Role, input: Pick<GrantRequest, 'environmentId' | 'inherit'>) {
  const environmentId = input.environmentId ?? null;
  const isAdministrators = role.id === ORGANIZATION_ADMINISTRATORS.id;
  if (environmentId) {
    assertThat(
      !isAdministrators && input.inherit !== true && grantedMask(role, environmentId) !== 0,
      'role_assignment.not_environment_scopable',
    );
  }
  return { environmentId, inherit: isAdministrators || (input.inherit ?? false) };
}

/** ROLE-5: who may grant what. Nobody hands out a permission they do not hold where it applies. */
export function createGrantor(deps: { db: Db; access: Access }) {
  const { access } = deps;
  const roles = createRoleRepository(deps.db);

  /** `roles.assign` on the node, and every permission in play held there by the actor. */
  async function requireGrantor(
    ctx: RequestContext,
    tenantId: string,
    role: Role,
    grant: Conferred,
  ): Promise<TenantIndex> {
    const index = await access.require(ctx, tenantId, 'roles.assign', grant.organizationId);
    const [lacking] = access.missing(ctx, index, [
      { ...grant, mask: grantedMask(role, grant.environmentId) },
    ]);
    assertThat(!lacking, 'role_assignment.privilege_escalation', {
      missingPermissions: lacking?.missingPermissions ?? [],
    });
    return index;
  }

  /** The environment of a grant belongs to its node (else it is not found). */
  function requireEnvironmentOnNode(index: TenantIndex, grant: Conferred): void {
    if (!grant.environmentId) return;
    assertThat(index.environmentOrg(grant.environmentId) === grant.organizationId, 'environment.not_found');
  }

  /**
   * For a grant not made yet (an invitation's roles, a group mapping): the role exists in the
   * tenant, the grant is well-formed for it, and the actor may make it on that node. Returns the
   * grant as it would be made, without its user. Throws as `assign` would.
   */
  async function authorizeGrant(
    ctx: RequestContext,
    tenantId: string,
    input: GrantRequest,
  ): Promise<Conferred> {
    const index = await access.tenantIndexFor(ctx, tenantId);
    assertId(input.roleId, 'role.not_found');
    const role = await roles.findById(tenantId, input.roleId);
    assertThat(role, 'role.not_found');
    const shaped = { roleId: role.id, organizationId: input.organizationId, ...shapeGrant(role, input) };
    requireEnvironmentOnNode(index, shaped);
    // The check reads the grant's node, environment and inheritance only: there is no user yet.
    await requireGrantor(ctx, tenantId, role, shaped);
    return shaped;
  }

  /**
   * SEC-4, ROLE-5 for whoever changes what signs people in: the permissions the actor lacks among
   * those these grants would hand out (a provider's group mappings) and those these users hold
   * (whoever can sign in as them holds them too). Reads roles in the caller's transaction; the
   * index is the caller's, loaded before it (the embedded database has one connection).
   */
  async function missingToConferInTx(
    tx: Tx,
    ctx: RequestContext,
    index: TenantIndex,
    conferred: { grants: readonly Conferred[]; userIds: readonly string[] },
  ): Promise<MissingPermissions[]> {
    const roleById = new Map(
      conferred.grants.length === 0
        ? []
        : (await createRoleRepository(tx).list(index.tenantId)).map((r) => [r.id, r]),
    );
    const fromGrants = conferred.grants.flatMap((g) => {
      const role = roleById.get(g.roleId);
      return role ? [{ ...g, mask: grantedMask(role, g.environmentId) }] : [];
    });
    const fromUsers = conferred.userIds.flatMap((userId) => index.grantsOf(userId));
    return access.missing(ctx, index, [...fromGrants, ...fromUsers]);
  }

  return { requireGrantor, requireEnvironmentOnNode, authorizeGrant, missingToConferInTx };
}
