import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, isUuid, parseInput } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, AssignmentService } from '../roles/index.ts';
import { createIdpRepository } from './idp.repository.ts';
import type { GroupMapping } from './idp.schema.ts';
import { newMappingSchema } from './idp.validation.ts';

export interface MappingServiceDeps {
  db: Db;
  clock: Clock;
  access: Access;
  audit: AuditService;
  assignments: Pick<AssignmentService, 'authorizeGrant'>;
}

/**
 * FED-4 group mappings. A mapping hands out a role at every sign-in, so creating or removing one
 * is checked as the assignment itself would be (ROLE-5, through authorizeGrant): nobody maps a
 * group to more than they may grant. Removing a mapping changes nothing now; the next sign-in of
 * each affected user reconciles their mapping-granted assignments.
 */
export function createMappingService(deps: MappingServiceDeps) {
  const { db, clock, access, assignments } = deps;
  const { audited } = deps.audit;
  const repo = createIdpRepository(db);

  async function providerOf(ctx: RequestContext, tenantId: string, providerId: string) {
    await access.require(ctx, tenantId, 'idp.manage', tenantId);
    assertId(providerId, 'identity_provider.not_found');
    assertThat(await repo.findById(tenantId, providerId), 'identity_provider.not_found');
  }

  async function list(ctx: RequestContext, tenantId: string, providerId: string): Promise<GroupMapping[]> {
    await providerOf(ctx, tenantId, providerId);
    return repo.listMappings(tenantId, providerId);
  }

  async function create(
    ctx: RequestContext,
    tenantId: string,
    providerId: string,
    input: unknown,
  ): Promise<GroupMapping> {
    const valid = parseInput(newMappingSchema, input);
    await providerOf(ctx, tenantId, providerId);
    const grant = await assignments.authorizeGrant(ctx, tenantId, valid);
    const mapping: GroupMapping = {
      id: newId(),
      tenantId,
      providerId,
      group: valid.group,
      ...grant,
      createdAt: clock.now(),
    };
    await db.transaction(async (tx) => {
      // The provider may have gone since the check: its foreign key then refuses the insert.
      const r = createIdpRepository(tx);
      assertThat(await r.findById(tenantId, providerId, { forUpdate: true }), 'identity_provider.not_found');
      await r.insertMapping(tenantId, mapping).catch((err: unknown) => {
        throw isUniqueViolation(err, 'group_mappings_unique') ? new AppError('group_mapping.exists') : err;
      });
      const target = { tenantId, orgId: mapping.organizationId, type: 'group_mapping', id: mapping.id };
      await audited(tx, ctx, 'group_mapping.create', target, null, mapping);
    });
    return mapping;
  }

  async function remove(ctx: RequestContext, tenantId: string, providerId: string, mappingId: string) {
    await providerOf(ctx, tenantId, providerId);
    assertId(mappingId, 'group_mapping.not_found');
    const mapping = await repo.findMapping(tenantId, providerId, mappingId);
    assertThat(mapping, 'group_mapping.not_found');
    await assignments.authorizeGrant(ctx, tenantId, mapping);
    await db.transaction(async (tx) => {
      await createIdpRepository(tx).deleteMapping(tenantId, mappingId);
      const target = { tenantId, orgId: mapping.organizationId, type: 'group_mapping', id: mappingId };
      await audited(tx, ctx, 'group_mapping.delete', target, mapping);
    });
  }

  /** For the sign-in flows: every mapping of a provider (FED-4 reconciliation reads them). */
  async function mappingsForSignIn(tenantId: string, providerId: string): Promise<GroupMapping[]> {
    if (!isUuid(tenantId) || !isUuid(providerId)) return [];
    return repo.listMappings(tenantId, providerId);
  }

  return { list, create, remove, mappingsForSignIn };
}

export type MappingService = ReturnType<typeof createMappingService>;
