import { randomUUID } from 'node:crypto';
import type { Container } from '../../src/container.ts';
import type { SignupResult } from '../../src/modules/organizations/index.ts';
import { createAssignmentRepository } from '../../src/modules/roles/assignment.repository.ts';
import {
  type CheckedPassword,
  newLocalUserSchema,
  type PasswordHash,
  type User,
} from '../../src/modules/users/index.ts';
import { operatorContext, type RequestContext } from '../../src/platform/context.ts';
import { parseInput } from '../../src/platform/errors/parse-input.ts';

let counter = 0;
const unique = (prefix: string) => `${prefix}${process.pid}x${++counter}`;

export const PASSWORD = 'correct horse battery staple';

export function userCtx(tenantId: string, userId: string): RequestContext {
  return { actor: { kind: 'user', tenantId, userId }, requestId: `req-${randomUUID()}` };
}

export const operator = (): RequestContext => operatorContext(`req-${randomUUID()}`, 'test-operator');

export interface Tenant extends SignupResult {
  tenantId: string;
  /** The sign-up user, owner of the master. */
  owner: RequestContext;
}

export async function signUpTenant(
  c: Container,
  overrides: Partial<{ companyName: string; domain: string; username: string }> = {},
): Promise<Tenant> {
  const result = await c.signUp(
    { actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` },
    {
      companyName: overrides.companyName ?? 'Acme Corp',
      domain: overrides.domain ?? unique('acme'),
      username: overrides.username ?? 'founder',
      email: 'founder@acme.test',
      name: 'Fiona Founder',
      password: PASSWORD,
    },
  );
  const tenantId = result.organization.id;
  return { ...result, tenantId, owner: userCtx(tenantId, result.user.id) };
}

/**
 * PASSWORD hashed once per process: argon2 is most of what a user costs to make, every user of the
 * tests has that password, and a hash (its own salt and parameters inside) is good in any container.
 */
let passwordHash: Promise<PasswordHash> | undefined;

/** A local user of the tenant with no role (as an invitation acceptance would create). */
export async function addUser(c: Container, tenantId: string, username = unique('user')): Promise<User> {
  const input = { username, email: `${username}@acme.test`, name: `Person ${username}`, password: PASSWORD };
  passwordHash ??= c.users
    // PASSWORD passes the policy (sign-up checks it); the fixture skips the check, not the hash.
    .prepareLocalUser({
      username: 'hashed-once',
      email: 'once@acme.test',
      name: 'Once',
      password: PASSWORD as CheckedPassword,
    })
    .then((prepared) => prepared.passwordHash);
  const prepared = { ...parseInput(newLocalUserSchema, input), passwordHash: await passwordHash };
  return c.database.knex.transaction((tx) => c.users.insertLocalUser(tx, tenantId, prepared));
}

/** A user of the tenant holding a custom role with just these permissions on the master (a narrow administrator). */
export async function addUserWith(c: Container, tenant: Tenant, permissions: string[]): Promise<User> {
  const role = await c.roles.create(tenant.owner, tenant.tenantId, { name: unique('role'), permissions });
  const user = await addUser(c, tenant.tenantId);
  await c.assignments.assign(tenant.owner, tenant.tenantId, {
    userId: user.id,
    roleId: role.id,
    organizationId: tenant.tenantId,
  });
  return user;
}

export async function addBusinessGroup(
  c: Container,
  tenant: Tenant,
  parentId: string,
  name = unique('bg'),
  extra: Record<string, unknown> = {},
) {
  return c.businessGroups.create(tenant.owner, tenant.tenantId, parentId, {
    name,
    entitlements: { createSubOrgs: true, createEnvironments: true },
    ...extra,
  });
}

/**
 * An assignment row written straight to the table (inherited, on no environment), as a provider's
 * group mapping or an earlier release would have left it: no grant check, no audit entry.
 */
export function insertAssignmentRow(
  c: Container,
  tenantId: string,
  row: { userId: string; roleId: string; organizationId: string; source: string },
) {
  return c.directory.change(tenantId, { users: [row.userId] }, (tx) =>
    createAssignmentRepository(tx).insert(tenantId, {
      id: randomUUID(),
      environmentId: null,
      inherit: true,
      at: c.clock.now(),
      ...row,
    }),
  );
}

/**
 * The id of the newest audit entry (0 for none). The log is append-only, so a test sharing its
 * container with others reads "the entries written since it began" as those with a higher id.
 */
export async function lastAuditId(c: Container): Promise<number> {
  const newest = await c.database.knex('audit_log').max('id as id').first();
  return Number(newest?.id ?? 0);
}

export { operatorContext };
