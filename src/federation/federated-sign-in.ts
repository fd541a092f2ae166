import type { UsageEvent } from '../modules/analytics/index.ts';
import type { AuditService } from '../modules/audit/index.ts';
import {
  type FederatedIdentityService,
  type GroupMapping,
  type MappingService,
  mappingSource,
} from '../modules/identity-providers/index.ts';
import {
  type AssignmentService,
  assignmentTarget,
  type RoleAssignment,
  type TenantDirectory,
} from '../modules/roles/index.ts';
import type { UserService } from '../modules/users/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { RequestContext } from '../platform/context.ts';
import { newId } from '../platform/crypto/random.ts';
import type { Tx } from '../platform/db/database.ts';
import type { ExternalProfile } from './external-profile.ts';

/** Why a federated sign-in was refused; the pages turn each into words for a person. */
export type RefusalReason =
  | 'provider_unavailable'
  | 'expired'
  | 'invalid_response'
  | 'provider_error'
  | 'user_inactive'
  /** FED-6: an IdP-initiated answer, at a provider that does not allow them. */
  | 'unsolicited';

/** A refused federated sign-in: nothing was created, and the reason is safe to show. */
export class SignInRefused extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'SignInRefused';
    this.reason = reason;
  }
}

export interface FederatedSignInDeps {
  clock: Clock;
  directory: TenantDirectory;
  audit: AuditService;
  assignments: Pick<AssignmentService, 'grantAndAuditInTx' | 'revokeUnlessProtectedInTx' | 'listForUserInTx'>;
  mappings: Pick<MappingService, 'mappingsForSignIn'>;
  identities: Pick<FederatedIdentityService, 'userIdOf' | 'userIdOfInTx' | 'linkInTx' | 'touchInTx'>;
  users: Pick<UserService, 'insertFederated' | 'refreshFederatedProfile' | 'lockForUpdate'>;
  usage?: { record(event: UsageEvent): void };
}

/** Where the sign-in came from, for the audit entry and analytics (ANL-1). */
export interface SignInMeta {
  ip?: string;
  clientId?: string;
}

/** A mapping-made grant, keyed the way the unique index keys assignments (the user is fixed). */
const keyOf = (a: { roleId: string; organizationId: string; environmentId: string | null }) =>
  `${a.roleId}|${a.organizationId}|${a.environmentId ?? ''}`;

/** The account step (FED-3, FED-4) after a protocol flow has validated the provider's answer. */
export function createFederatedSignIn(deps: FederatedSignInDeps) {
  const { clock, directory, audit, assignments, identities, users } = deps;
  const { audited } = audit;

  /** FED-4: the user's assignments from this provider brought in line with the mappings their groups hit. */
  async function reconcile(
    tx: Tx,
    ctx: RequestContext,
    tenantId: string,
    providerId: string,
    userId: string,
    wanted: GroupMapping[],
  ) {
    const source = mappingSource(providerId);
    const held = await assignments.listForUserInTx(tx, tenantId, userId);
    const desired = new Map(wanted.map((m) => [keyOf(m), m]));
    const cause = { identityProvider: providerId };
    for (const a of held.filter((h) => h.source === source && !desired.has(keyOf(h)))) {
      if (await assignments.revokeUnlessProtectedInTx(tx, ctx, tenantId, a)) continue;
      await auditKept(tx, ctx, tenantId, a, cause);
    }
    // A grant already held (by hand, or from this provider) is left as it is: hand-made ones are
    // never taken over, and the unique index allows one per role, node and environment.
    const heldKeys = new Set(held.map(keyOf));
    for (const [key, m] of desired) {
      if (heldKeys.has(key)) continue;
      const { roleId, organizationId, environmentId, inherit } = m;
      const grant = { userId, roleId, organizationId, environmentId, inherit, source };
      const mapped = { ...cause, groupMappingId: m.id, group: m.group };
      await assignments.grantAndAuditInTx(tx, ctx, tenantId, grant, mapped);
    }
  }

  function auditKept(tx: Tx, ctx: RequestContext, tenantId: string, a: RoleAssignment, cause: object) {
    // ORG-5: an owner keeps Organization Administrators even when their groups no longer grant it.
    const after = { reason: 'owner_protected', cause };
    return audited(tx, ctx, 'role_assignment.keep', assignmentTarget(tenantId, a), a, after);
  }

  async function accountStep(
    ctx: RequestContext,
    tenantId: string,
    providerId: string,
    profile: ExternalProfile,
    userId: string,
    known: boolean,
    meta: SignInMeta,
  ): Promise<'done' | 'raced'> {
    const wanted = (await deps.mappings.mappingsForSignIn(tenantId, providerId)).filter((m) =>
      profile.groups.includes(m.group),
    );
    return directory.change(tenantId, { users: [userId] }, async (tx) => {
      const linked = await identities.userIdOfInTx(tx, tenantId, providerId, profile.subject);
      // Someone else's first sign-in of this identity committed between our read and this change.
      if ((linked ?? undefined) !== (known ? userId : undefined)) return 'raced';
      const at = clock.now();
      const cause = { identityProvider: providerId };
      const target = { tenantId, type: 'user', id: userId };
      let username: string;
      if (known) {
        const user = await users.lockForUpdate(tx, tenantId, userId);
        if (user?.status !== 'active') throw new SignInRefused('user_inactive');
        username = user.username;
        const changed = await users.refreshFederatedProfile(tx, tenantId, user, { ...profile, at });
        if (changed) {
          await audited(tx, ctx, 'user.update', target, changed.before, { ...changed.after, cause });
        }
        await identities.touchInTx(tx, tenantId, providerId, profile.subject, at);
      } else {
        const preferredUsername = profile.username || profile.subject;
        const user = await users.insertFederated(tx, tenantId, {
          id: userId,
          preferredUsername,
          ...profile,
          at,
        });
        username = user.username;
        await identities.linkInTx(tx, tenantId, { providerId, subject: profile.subject, userId, at });
        const { email, name, emailVerified } = user;
        const after = { username, email, name, emailVerified, local: false, cause };
        await audited(tx, ctx, 'user.create', target, null, after);
        const link = { identityProvider: providerId, subject: profile.subject };
        await audited(tx, ctx, 'federated_identity.link', target, null, link);
      }
      await reconcile(tx, ctx, tenantId, providerId, userId, wanted);
      const signedIn = { username, ip: meta.ip ?? '', method: 'federated', identityProvider: providerId };
      await audited(tx, ctx, 'session.sign_in', target, null, signedIn);
      return 'done';
    });
  }

  /**
   * FED-3: the user behind (provider, subject) — found by that pair only, never by email — created
   * on first sign-in, refreshed later, with FED-4 reconciliation, all in one tenant directory change.
   * Throws SignInRefused('user_inactive') for a disabled or deleted user.
   */
  async function signInFederated(
    ctx: RequestContext,
    tenantId: string,
    providerId: string,
    profile: ExternalProfile,
    meta: SignInMeta = {},
  ): Promise<string> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await identities.userIdOf(tenantId, providerId, profile.subject);
      const userId = existing ?? newId();
      const step = await accountStep(ctx, tenantId, providerId, profile, userId, !!existing, meta);
      if (step === 'done') {
        count(tenantId, 'sign_in_success', meta);
        return userId;
      }
    }
    throw new Error('federated sign-in kept racing with another sign-in of the same identity');
  }

  function count(tenantId: string, metric: 'sign_in_success' | 'sign_in_failure', meta: SignInMeta) {
    deps.usage?.record({ tenantId, orgId: tenantId, clientId: meta.clientId ?? null, metric });
  }

  /** AUD-1, ANL-1: a refused federated sign-in, audited and counted (nothing else is written). */
  async function recordFailure(
    ctx: RequestContext,
    tenantId: string,
    providerId: string,
    reason: string,
    meta: SignInMeta = {},
  ): Promise<void> {
    await audit.recordNow(ctx, {
      tenantId,
      orgId: tenantId,
      action: 'session.sign_in',
      outcome: 'failure',
      after: { ip: meta.ip ?? '', method: 'federated', identityProvider: providerId, reason },
    });
    count(tenantId, 'sign_in_failure', meta);
  }

  return { signInFederated, recordFailure };
}

export type FederatedSignIn = ReturnType<typeof createFederatedSignIn>;
