import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, parseInput } from '../../platform/errors/index.ts';
import { type AuditService, nodeTarget } from '../audit/index.ts';
import {
  type Access,
  type AssignmentService,
  type Permission,
  permissionsOf,
  type TenantDirectory,
} from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import type { DomainDirectory } from './domain-directory.ts';
import { createOrganizationRepository } from './organization.repository.ts';
import {
  type Organization,
  ownerSchema,
  propertiesSchema,
  settingsPatchSchema,
} from './organization.schema.ts';

export interface HierarchyNode {
  id: string;
  parentId: string | null;
  name: string;
  /** `member`: the caller holds a role here; `ancestor`: shown by name only, to keep the tree connected. */
  access: 'member' | 'ancestor';
  permissions: Permission[];
  /** Where an environment-scoped role adds to `permissions`: all the caller holds in that environment. */
  environments: { id: string; permissions: Permission[] }[];
}

export interface TreeNode {
  id: string;
  parentId: string | null;
  depth: number;
  name: string;
  owner: { id: string; username: string };
}

/** Reading and changing org nodes: settings, properties, ownership and the hierarchy view. */
export function createOrganizationService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  users: UserService;
  assignments: AssignmentService;
  /** The cached domain → master org lookup, told of ORG-3 changes (every node drops them). */
  domains: DomainDirectory;
}) {
  const { db, clock, directory, access, users, assignments, domains } = deps;
  const { audited } = deps.audit;
  const orgs = createOrganizationRepository(db);

  async function findOrThrow(tenantId: string, orgId: string): Promise<Organization> {
    const org = await orgs.findById(tenantId, orgId);
    assertThat(org, 'organization.not_found');
    return org;
  }

  /** A node's details, for anyone holding a role on it (ORG-9: nothing flows upward). */
  async function get(ctx: RequestContext, tenantId: string, orgId: string): Promise<Organization> {
    await access.requireMember(ctx, tenantId, orgId);
    return findOrThrow(tenantId, orgId);
  }

  /** The master org a sign-in URL names (ORG-3), from the database; undefined once the domain has changed. */
  function findByDomain(domain: string): Promise<Organization | undefined> {
    return orgs.findMasterByDomain(domain);
  }

  /**
   * The same answer, only the tenant and its domain, from memory: for the public sign-in entry
   * points, which must keep answering under load (`/login/:domain`, the sign-in pages).
   */
  function masterByDomain(domain: string) {
    return domains.find(domain);
  }

  /** ORG-10 from the in-memory index: no query per node. */
  async function hierarchy(ctx: RequestContext, tenantId: string): Promise<HierarchyNode[]> {
    const index = await access.tenantIndexFor(ctx, tenantId);
    const { actor } = ctx;
    if (actor.kind !== 'user') throw new AppError('auth.permission_denied', { permission: 'user' });
    return index.visibleNodes(actor.userId).map((n) => ({
      id: n.id,
      parentId: n.parentId,
      name: n.name,
      access: n.access,
      permissions: permissionsOf(n.mask),
      environments: n.environments.map((e) => ({ id: e.id, permissions: permissionsOf(e.mask) })),
    }));
  }

  /**
   * ORG-2 (name, any node), ORG-3 (domain), ORG-11/SESS-3 (session settings) and ACC-4 (minimum
   * password length) on the master.
   */
  async function updateSettings(ctx: RequestContext, tenantId: string, orgId: string, input: unknown) {
    const patch = parseInput(settingsPatchSchema, input);
    await access.require(ctx, tenantId, 'orgs.settings.manage', orgId);
    const masterOnly = ['domain', 'sessionTimeoutMinutes', 'sessionMaxMinutes', 'passwordMinLength'] as const;
    const named = masterOnly.filter((k) => patch[k] !== undefined);
    assertThat(orgId === tenantId || named.length === 0, 'organization.not_master', { fields: named });
    if (patch.domain !== undefined) domains.assertCanAnnounce();
    let movedDomains: (string | null)[] = [];
    const work = async (tx: Tx) => {
      const repo = createOrganizationRepository(tx);
      const before = await repo.findById(tenantId, orgId, { forUpdate: true });
      assertThat(before, 'organization.not_found');
      await repo.update(tenantId, orgId, { ...patch, at: clock.now() });
      const after = (await repo.findById(tenantId, orgId))!;
      if (before.domain !== after.domain) movedDomains = [before.domain, after.domain];
      const [fields, target] = [Object.keys(patch), nodeTarget(tenantId, orgId)];
      await audited(tx, ctx, 'organization.update', target, pick(before, fields), pick(after, fields));
      return after;
    };
    try {
      // Names and the master's settings are part of the tenant directory's tree, which every node
      // keeps in memory.
      const after = await directory.change(tenantId, { tree: true }, work);
      // Committed: the old domain stops naming the org, and the new one names it, on every node at once.
      await domains.changed(movedDomains);
      return after;
    } catch (err) {
      if (isUniqueViolation(err, 'organizations_domain_unique'))
        throw new AppError('organization.domain_taken');
      if (isUniqueViolation(err, 'organizations_sibling_name_unique'))
        throw new AppError('business_group.name_taken');
      throw err;
    }
  }

  /** ORG-7: replaces the node's free-form properties. */
  async function setProperties(ctx: RequestContext, tenantId: string, orgId: string, input: unknown) {
    const properties = parseInput(propertiesSchema, input);
    await access.require(ctx, tenantId, 'orgs.properties.manage', orgId);
    return db.transaction(async (tx) => {
      const repo = createOrganizationRepository(tx);
      const before = await repo.findById(tenantId, orgId, { forUpdate: true });
      assertThat(before, 'organization.not_found');
      await repo.update(tenantId, orgId, { properties, at: clock.now() });
      const target = nodeTarget(tenantId, orgId);
      await audited(tx, ctx, 'organization.properties.update', target, before.properties, properties);
      return (await repo.findById(tenantId, orgId))!;
    });
  }

  /** ORG-4: ownership passes to an active user of the tenant who holds Organization Administrators on the node. */
  async function transferOwnership(ctx: RequestContext, tenantId: string, orgId: string, input: unknown) {
    const { ownerUserId } = parseInput(ownerSchema, input);
    await access.require(ctx, tenantId, 'orgs.owner.assign', orgId);
    return directory.change(tenantId, { tree: true }, async (tx) => {
      const repo = createOrganizationRepository(tx);
      const before = await repo.findById(tenantId, orgId, { forUpdate: true });
      assertThat(before, 'organization.not_found');
      const eligible =
        (await users.findActive(tx, tenantId, ownerUserId)) !== undefined &&
        (await assignments.isAdministratorInTx(tx, tenantId, ownerUserId, orgId));
      assertThat(eligible, 'organization.owner_not_eligible', { ownerUserId });
      await repo.update(tenantId, orgId, { ownerUserId, at: clock.now() });
      const target = nodeTarget(tenantId, orgId);
      const was = { ownerUserId: before.ownerUserId };
      await audited(tx, ctx, 'organization.owner.transfer', target, was, { ownerUserId });
      return (await repo.findById(tenantId, orgId))!;
    });
  }

  /** Operator only: the tenant a node belongs to. */
  async function locate(ctx: RequestContext, orgId: string): Promise<{ tenantId: string }> {
    assertThat(ctx.actor.kind === 'operator', 'auth.permission_denied', { permission: 'operator' });
    assertId(orgId, 'organization.not_found');
    const tenantId = await orgs.findTenantIdOf(orgId);
    assertThat(tenantId, 'organization.not_found');
    return { tenantId };
  }

  /** The whole tree with owners, parents before children (operators, and administrators of the master). */
  async function tree(ctx: RequestContext, tenantId: string): Promise<TreeNode[]> {
    await access.require(ctx, tenantId, 'orgs.settings.manage', tenantId);
    const rows = await orgs.listWithOwners(tenantId);
    const children = new Map<string | null, typeof rows>();
    for (const row of rows) children.set(row.parent_id, [...(children.get(row.parent_id) ?? []), row]);
    const out: TreeNode[] = [];
    const visit = (parentId: string | null, depth: number) => {
      const list = (children.get(parentId) ?? []).sort((a, b) => a.name.localeCompare(b.name));
      for (const row of list) {
        out.push({
          id: row.id,
          parentId: row.parent_id,
          depth,
          name: row.name,
          owner: { id: row.owner_user_id, username: row.owner_username },
        });
        visit(row.id, depth + 1);
      }
    };
    visit(null, 0);
    return out;
  }

  return {
    get,
    findByDomain,
    masterByDomain,
    hierarchy,
    tree,
    locate,
    updateSettings,
    setProperties,
    transferOwnership,
  };
}

function pick(org: Organization, keys: string[]): Record<string, unknown> {
  const source = org as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, source[k]]));
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
