import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Container } from '../../src/container.ts';
import type { App } from '../../src/modules/apps/index.ts';
import {
  ALL_PERMISSIONS,
  BUILT_IN_ROLES,
  ORGANIZATION_ADMINISTRATORS,
} from '../../src/modules/roles/index.ts';
import type { User } from '../../src/modules/users/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { appToken, openConsoleSession, userToken } from './api.ts';
import { addBusinessGroup, addUser, signUpTenant } from './factories.ts';
import { samlProvider } from './idp-fixtures.ts';
import { type ConfigOverrides, createTestEnv, type TestEnv } from './test-container.ts';

// The fixture world of the cross-cutting admin API tests (isolation matrix, fuzz): two tenants,
// each with a business-group tree, users in every role shape, environments, a custom role,
// assignments and apps. Built once per test file through the services, never through the API.

/**
 * A test environment for admin API tests that make hundreds of requests: no rate limit in the way
 * (unless `config` sets one), and a data directory of its own for the invitation outbox.
 */
export async function createApiTestEnv(config: ConfigOverrides = {}): Promise<TestEnv> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-api-'));
  const env = await createTestEnv({
    config: {
      ...config,
      api: { rateLimitPerMinute: 1_000_000, ...config.api },
      storage: { dataDir, ...config.storage },
    },
  });
  return {
    ...env,
    async close() {
      await env.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const builtInRoleId = (key: string) => BUILT_IN_ROLES.find((r) => r.key === key)!.id;

export interface TenantWorld {
  tenantId: string;
  /** A business group under the master, entitled to sub-groups and environments. */
  groupId: string;
  /** A business group below `groupId` (a leaf). */
  childId: string;
  /** A business group beside `groupId`, under the master. */
  siblingId: string;
  users: {
    /** The sign-up user: owner of the master, Organization Administrators everywhere. */
    owner: User;
    /** Organization Administrators on the master, not its owner. */
    coAdmin: User;
    /** Organization Administrators on `groupId` only. */
    groupAdmin: User;
    /** A custom role on `groupId`, Audit Viewer on the master, Analytics Viewer on one environment. */
    member: User;
    /** Organization Administrators on `siblingId` only. */
    siblingAdmin: User;
    /** Holds no role at all (USR-4). */
    noRole: User;
  };
  /** A custom role of the tenant. */
  roleId: string;
  environments: { master: string; group: string };
  /** `member`'s assignments: Audit Viewer on the master, the custom role on `groupId`. */
  assignments: { master: string; group: string };
  /** Pending invitations to the master and to `groupId`. */
  invitations: { master: string; group: string };
  apps: { web: App; service: App };
  /** An enabled SAML identity provider, and a group mapping of it (on `groupId`). */
  providerId: string;
  mappingId: string;
  /** ACC-5: the public id of a live session of `member`. */
  sessionId: string;
  /** Every id and client id of the tenant's objects. */
  ids: string[];
  owner: RequestContext;
}

/** One set of objects to aim a request at: every path parameter an admin route may name. */
export interface Target {
  name: string;
  orgId: string;
  environmentId: string;
  userId: string;
  roleId: string;
  assignmentId: string;
  appId: string;
  /** A user eligible to own `orgId` (Organization Administrators there, not its owner). */
  ownerCandidateId: string;
  invitationId: string;
  providerId: string;
  mappingId: string;
  sessionId: string;
}

export async function buildTenant(c: Container, companyName: string): Promise<TenantWorld> {
  const t = await signUpTenant(c, { companyName });
  const { tenantId, owner } = t;
  const group = await addBusinessGroup(c, t, tenantId, `${companyName} Group`);
  const child = await addBusinessGroup(c, t, group.id, `${companyName} Child`);
  const sibling = await addBusinessGroup(c, t, tenantId, `${companyName} Sibling`);
  const [coAdmin, groupAdmin, member, siblingAdmin, noRole] = await Promise.all(
    ['co-admin', 'group-admin', 'member', 'sibling-admin', 'no-role'].map((u) => addUser(c, tenantId, u)),
  );
  const assign = (userId: string, roleId: string, organizationId: string, environmentId?: string) =>
    c.assignments.assign(owner, tenantId, { userId, roleId, organizationId, environmentId });
  const administrators = ORGANIZATION_ADMINISTRATORS.id;
  await assign(coAdmin!.id, administrators, tenantId);
  await assign(groupAdmin!.id, administrators, group.id);
  await assign(siblingAdmin!.id, administrators, sibling.id);
  const role = await c.roles.create(owner, tenantId, {
    name: `${companyName} Auditors`,
    permissions: ['audit.view', 'credentials.view'],
  });
  const groupEnvironment = await c.environments.create(owner, tenantId, group.id, {
    name: 'Staging',
    type: 'sandbox',
  });
  const onMaster = await assign(member!.id, builtInRoleId('audit-viewer'), tenantId);
  const onGroup = await assign(member!.id, role.id, group.id);
  const onEnvironment = await assign(
    member!.id,
    builtInRoleId('analytics-viewer'),
    group.id,
    groupEnvironment.id,
  );
  const web = await c.apps.create(owner, tenantId, {
    kind: 'web',
    name: `${companyName} Portal`,
    redirectUris: ['https://portal.example/callback'],
  });
  const service = await c.apps.create(owner, tenantId, {
    kind: 'service',
    name: `${companyName} Robot`,
    grants: [{ organizationId: tenantId, permissions: [...ALL_PERMISSIONS] }],
  });
  const invite = async (orgId: string, email: string) =>
    (await c.invitations.invite(owner, tenantId, orgId, { emails: [email] }))[0]!.id;
  const invitations = {
    master: await invite(tenantId, 'invitee.master@example.test'),
    group: await invite(group.id, 'invitee.group@example.test'),
  };
  const provider = await c.identityProviders.create(owner, tenantId, samlProvider(`${companyName} SSO`));
  const mapping = await c.groupMappings.create(owner, tenantId, provider.id, {
    group: 'engineering',
    roleId: builtInRoleId('audit-viewer'),
    organizationId: group.id,
  });
  const signedIn = await openConsoleSession(c, member!.id);
  const session = await c.database.knex('sessions').where({ session_uid: signedIn.sessionUid }).first();
  const users = {
    owner: t.user,
    coAdmin: coAdmin!,
    groupAdmin: groupAdmin!,
    member: member!,
    siblingAdmin: siblingAdmin!,
    noRole: noRole!,
  };
  const environments = { master: t.environments[0]!.id, group: groupEnvironment.id };
  const nodes = [t.organization, group, child, sibling];
  const envs = [...t.environments, groupEnvironment];
  return {
    tenantId,
    groupId: group.id,
    childId: child.id,
    siblingId: sibling.id,
    users,
    roleId: role.id,
    environments,
    assignments: { master: onMaster.id, group: onGroup.id },
    invitations,
    apps: { web: web.app, service: service.app },
    providerId: provider.id,
    mappingId: mapping.id,
    sessionId: session.public_id,
    ids: [
      session.public_id,
      provider.id,
      mapping.id,
      ...nodes.flatMap((n) => [n.id, n.clientId]),
      ...Object.values(users).map((u) => u.id),
      role.id,
      ...envs.flatMap((e) => [e.id, e.clientId]),
      ...[onMaster, onGroup, onEnvironment].map((x) => x.id),
      ...Object.values(invitations),
      ...[web.app, service.app].flatMap((a) => [a.id, a.clientId]),
    ],
    owner,
  };
}

/** The objects of a tenant to aim requests at: once on the master, once on a business group. */
export function targetsOf(w: TenantWorld): Target[] {
  const common = {
    userId: w.users.member.id,
    roleId: w.roleId,
    appId: w.apps.web.id,
    providerId: w.providerId,
    mappingId: w.mappingId,
    sessionId: w.sessionId,
  };
  return [
    {
      name: 'master',
      ...common,
      orgId: w.tenantId,
      environmentId: w.environments.master,
      assignmentId: w.assignments.master,
      invitationId: w.invitations.master,
      ownerCandidateId: w.users.coAdmin.id,
    },
    {
      name: 'business group',
      ...common,
      orgId: w.groupId,
      environmentId: w.environments.group,
      assignmentId: w.assignments.group,
      invitationId: w.invitations.group,
      ownerCandidateId: w.users.groupAdmin.id,
    },
  ];
}

export const CALLERS = [
  'admin of another tenant',
  'admin of a sibling group',
  'user with no role',
  'app without the scope',
  'app with no permission',
] as const;
export type Caller = (typeof CALLERS)[number];

export interface World {
  a: TenantWorld;
  b: TenantWorld;
  /** Tenant A's objects, as targets. */
  targets: Target[];
  /** A bearer token of tenant A's owner. */
  ownerToken: string;
  /** The caller's token; `scope` is the (unrelated) permission the app's token carries. */
  tokenOf(caller: Caller, scope: string): Promise<string>;
}

export async function buildWorld(c: Container): Promise<World> {
  const a = await buildTenant(c, 'Acme');
  const b = await buildTenant(c, 'Globex');
  const users = new Map<string, Promise<string>>();
  const userTokenOf = (id: string) => {
    if (!users.has(id)) users.set(id, userToken(c, id));
    return users.get(id)!;
  };
  const apps = new Map<string, Promise<string>>();
  return {
    a,
    b,
    targets: targetsOf(a),
    ownerToken: await userTokenOf(a.users.owner.id),
    tokenOf(caller, scope) {
      switch (caller) {
        case 'admin of another tenant':
          return userTokenOf(b.users.owner.id);
        case 'admin of a sibling group':
          return userTokenOf(a.users.siblingAdmin.id);
        case 'user with no role':
          return userTokenOf(a.users.noRole.id);
        case 'app without the scope':
        case 'app with no permission': {
          const granted = caller === 'app with no permission' ? '' : scope;
          if (!apps.has(granted)) apps.set(granted, appToken(c, a.apps.service.clientId, granted));
          return apps.get(granted)!;
        }
      }
    },
  };
}
