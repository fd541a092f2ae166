import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { AuditService, AuditTarget } from '../audit/index.ts';
import type { Access, TenantDirectory } from '../roles/index.ts';
import type { CredentialService } from './credential.service.ts';
import { createEnvironmentRepository } from './environment.repository.ts';
import {
  type Environment,
  type EnvironmentType,
  environmentPatchSchema,
  newEnvironmentSchema,
} from './environment.schema.ts';

/** The environments a new master org starts with (ORG-1). */
export const DEFAULT_ENVIRONMENTS: ReadonlyArray<{ name: string; type: EnvironmentType }> = [
  { name: 'Sandbox', type: 'sandbox' },
  { name: 'Design', type: 'design' },
];

/** An environment as the audit log names it: on its node. */
const environmentTarget = (tenantId: string, env: Environment): AuditTarget => ({
  tenantId,
  orgId: env.organizationId,
  type: 'environment',
  id: env.id,
});

/** Environments of org nodes (ENV-1), each with its own client credentials (CRED-1). */
export function createEnvironmentService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  credentials: CredentialService;
}) {
  const { db, clock, directory, access, credentials } = deps;
  const { audited } = deps.audit;
  const environments = createEnvironmentRepository(db);

  async function insertInTx(tx: Tx, tenantId: string, orgId: string, name: string, type: EnvironmentType) {
    const id = newId();
    try {
      await createEnvironmentRepository(tx).insert(tenantId, { id, orgId, name, type, at: clock.now() });
    } catch (err) {
      if (isUniqueViolation(err, 'environments_name_unique')) throw new AppError('environment.name_taken');
      throw err;
    }
    await credentials.issueInTx(tx, tenantId, orgId, id);
    return (await createEnvironmentRepository(tx).findById(tenantId, id))!;
  }

  /** Sign-up's environments, inside its transaction. */
  async function createDefaultsInTx(tx: Tx, tenantId: string): Promise<Environment[]> {
    const created: Environment[] = [];
    for (const env of DEFAULT_ENVIRONMENTS)
      created.push(await insertInTx(tx, tenantId, tenantId, env.name, env.type));
    return created;
  }

  /** `environments.manage` on the node, and for a business group its `createEnvironments` entitlement. */
  async function requireManager(ctx: RequestContext, tenantId: string, orgId: string): Promise<void> {
    await access.require(ctx, tenantId, 'environments.manage', orgId);
    const entitled = await environments.mayHaveEnvironments(tenantId, orgId);
    assertThat(entitled !== undefined, 'organization.not_found');
    assertThat(entitled, 'environment.not_entitled');
  }

  async function findOrThrow(tenantId: string, environmentId: string): Promise<Environment> {
    assertId(environmentId, 'environment.not_found');
    const env = await environments.findById(tenantId, environmentId);
    assertThat(env, 'environment.not_found');
    return env;
  }

  async function list(ctx: RequestContext, tenantId: string, orgId: string): Promise<Environment[]> {
    await access.requireMember(ctx, tenantId, orgId);
    return environments.listForOrg(tenantId, orgId);
  }

  async function get(ctx: RequestContext, tenantId: string, environmentId: string): Promise<Environment> {
    await access.tenantIndexFor(ctx, tenantId);
    const env = await findOrThrow(tenantId, environmentId);
    await list(ctx, tenantId, env.organizationId);
    return env;
  }

  async function create(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
    input: unknown,
  ): Promise<Environment> {
    const valid = parseInput(newEnvironmentSchema, input);
    await requireManager(ctx, tenantId, orgId);
    return directory.change(tenantId, { tree: true }, async (tx) => {
      const env = await insertInTx(tx, tenantId, orgId, valid.name, valid.type);
      await audited(tx, ctx, 'environment.create', environmentTarget(tenantId, env), null, env);
      return env;
    });
  }

  async function rename(ctx: RequestContext, tenantId: string, environmentId: string, input: unknown) {
    const { name } = parseInput(environmentPatchSchema, input);
    await access.tenantIndexFor(ctx, tenantId);
    const before = await findOrThrow(tenantId, environmentId);
    await requireManager(ctx, tenantId, before.organizationId);
    return db.transaction(async (tx) => {
      try {
        await createEnvironmentRepository(tx).rename(tenantId, environmentId, name, clock.now());
      } catch (err) {
        if (isUniqueViolation(err, 'environments_name_unique')) throw new AppError('environment.name_taken');
        throw err;
      }
      const after = (await createEnvironmentRepository(tx).findById(tenantId, environmentId))!;
      const target = environmentTarget(tenantId, before);
      await audited(tx, ctx, 'environment.update', target, { name: before.name }, { name: after.name });
      return after;
    });
  }

  /** Its credentials and environment-scoped role assignments go with it (foreign keys cascade). */
  async function remove(ctx: RequestContext, tenantId: string, environmentId: string): Promise<void> {
    await access.tenantIndexFor(ctx, tenantId);
    const before = await findOrThrow(tenantId, environmentId);
    await requireManager(ctx, tenantId, before.organizationId);
    credentials.assertCanAnnounce(); // REL-2: other nodes must hear that its credentials are gone
    await directory.change(tenantId, 'everything', async (tx) => {
      await createEnvironmentRepository(tx).delete(tenantId, environmentId);
      await audited(tx, ctx, 'environment.delete', environmentTarget(tenantId, before), before);
    });
    await credentials.announceRemoved();
  }

  return { createDefaultsInTx, list, get, create, rename, remove };
}

export type EnvironmentService = ReturnType<typeof createEnvironmentService>;
