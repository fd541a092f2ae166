import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, parseInput } from '../../platform/errors/index.ts';
import type { PasswordPolicy } from '../accounts/index.ts';
import { type AuditService, nodeTarget } from '../audit/index.ts';
import type { CredentialService, Environment, EnvironmentService } from '../environments/index.ts';
import { type AssignmentService, ORGANIZATION_ADMINISTRATORS, type TenantDirectory } from '../roles/index.ts';
import type { User, UserService } from '../users/index.ts';
import type { DomainDirectory } from './domain-directory.ts';
import { createOrganizationRepository } from './organization.repository.ts';
import {
  DEFAULT_SESSION_MAX_MINUTES,
  DEFAULT_SESSION_TIMEOUT_MINUTES,
  type Organization,
  signupSchema,
} from './organization.schema.ts';

export interface SignupResult {
  organization: Organization;
  user: User;
  environments: Environment[];
}

/** SIGNUP_MODE (SEC-9): `closed` leaves creating organizations to the operator alone. */
export type SignupMode = 'open' | 'closed';

/**
 * ORG-1: a company signs up. The master org, its first user (owner, Organization Administrators),
 * its credentials and its two environments are created in one transaction, or nothing is.
 * With SIGNUP_MODE=closed only the operator (the command-line tool) signs companies up.
 */
export function createSignupService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  audit: AuditService;
  users: UserService;
  assignments: AssignmentService;
  environments: EnvironmentService;
  credentials: CredentialService;
  /** ACC-4: the one password checker; at sign-up the default minimum and the company being registered. */
  passwordPolicy: Pick<PasswordPolicy, 'checkForSignup'>;
  mode: SignupMode;
  /** Told of the new domain, so that a node that found it unknown a moment ago finds it now. */
  domains: Pick<DomainDirectory, 'added'>;
}) {
  const { db, clock, directory, users, assignments, environments, credentials } = deps;
  const { audited } = deps.audit;

  return async function signUp(ctx: RequestContext, input: unknown): Promise<SignupResult> {
    // The pages and the API refuse earlier (before their throttle counts); this holds for any other door.
    if (deps.mode === 'closed' && ctx.actor.kind !== 'operator') throw new AppError('signup.closed');
    const valid = parseInput(signupSchema, input);
    const { username, email, name } = valid;
    const company = { name: valid.companyName, domain: valid.domain };
    // ACC-4: only the policy's answer can be hashed and stored.
    const password = await deps.passwordPolicy.checkForSignup(
      valid.password,
      { username, email, name },
      company,
    );
    const prepared = await users.prepareLocalUser({ username, email, name, password });
    const tenantId = newId();
    const userId = newId();
    // The web sign-up is anonymous; from here on the new user is the one acting.
    const actx: RequestContext =
      ctx.actor.kind === 'anonymous' ? { ...ctx, actor: { kind: 'user', tenantId, userId } } : ctx;

    try {
      const { mailFounder, ...result } = await db.transaction(async (tx) => {
        const orgs = createOrganizationRepository(tx);
        await orgs.insert(tenantId, {
          id: tenantId,
          parentId: null,
          name: valid.companyName,
          domain: valid.domain,
          ownerUserId: userId,
          entitlements: { createSubOrgs: true, createEnvironments: true },
          properties: {},
          sessionTimeoutMinutes: DEFAULT_SESSION_TIMEOUT_MINUTES,
          sessionMaxMinutes: DEFAULT_SESSION_MAX_MINUTES,
          at: clock.now(),
        });
        await directory.createTenant(tx, tenantId);
        const user = await users.insertLocalUser(tx, tenantId, prepared, userId);
        await credentials.issueInTx(tx, tenantId, tenantId, null);
        const envs = await environments.createDefaultsInTx(tx, tenantId);
        const organization = (await orgs.findById(tenantId, tenantId))!;

        // Audited in the order a reader expects: the org, its founder, the founder's role, the environments.
        await audited(tx, actx, 'organization.create', nodeTarget(tenantId, tenantId), null, organization);
        await audited(tx, actx, 'user.create', { tenantId, type: 'user', id: userId }, null, user);
        await assignments.grantAndAuditInTx(tx, actx, tenantId, {
          userId,
          roleId: ORGANIZATION_ADMINISTRATORS.id,
          organizationId: tenantId,
          environmentId: null,
          inherit: true,
        });
        const environment = (id: string) => ({ tenantId, type: 'environment', id });
        for (const env of envs) await audited(tx, actx, 'environment.create', environment(env.id), null, env);
        // ACC-3: the founder's verification link, stored with the account and mailed after the commit.
        const mailFounder = await users.requestEmailVerification(tx, tenantId, user);
        return { organization, user, environments: envs, mailFounder };
      });
      await deps.domains.added(result.organization.domain);
      await mailFounder(); // a mail that fails is logged: the sign-up stands, and the link can be resent
      return result;
    } catch (err) {
      if (isUniqueViolation(err, 'organizations_domain_unique'))
        throw new AppError('organization.domain_taken');
      throw err;
    }
  };
}
