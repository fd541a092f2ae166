import type { Config } from '../config/schema.ts';
import {
  createAccountTokens,
  createCurrentPasswordCheck,
  createEmailVerification,
  createPasswordChange,
  createPasswordReset,
  createProfileChange,
  type PasswordPolicy,
  type UnprovenMailQuota,
} from '../modules/accounts/index.ts';
import type { AuditService } from '../modules/audit/index.ts';
import type { IdpService } from '../modules/identity-providers/index.ts';
import type { Access, TenantDirectory } from '../modules/roles/index.ts';
import type { SessionService } from '../modules/sessions/index.ts';
import type { UserService } from '../modules/users/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/database.ts';
import type { Logger } from '../platform/logger.ts';
import type { Mailer } from '../platform/mail.ts';
import type { Limiters } from '../platform/throttle/index.ts';

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  config: Readonly<Config>;
  logger: Logger;
  users: UserService;
  sessions: SessionService;
  mailer: Mailer;
  limiters: Limiters;
  /** ACC-4: built with the core services (sign-up and invitations use it too). */
  passwordPolicy: PasswordPolicy;
  /** SEC-9: the invitations' daily quota, which verification mails to new addresses count on too. */
  invitationQuota: UnprovenMailQuota;
  /** ACC-1: the sign-in's throttle key (SEC-12): reset requests are counted under HMACs of what was typed. */
  throttleKey: Buffer;
  /** ACC-1: whether an org's sign-in page offers the password form (FED-5), hence a reset. */
  identityProviders: Pick<IdpService, 'signInMethods'>;
}

/**
 * The accounts services (ACC-1…ACC-5): single-use links, the password policy, reset and change,
 * email verification. Links in mail are built from PUBLIC_URL only, never from a request's Host.
 */
export function createAccountServices(deps: AccountServiceDeps) {
  const tokens = createAccountTokens({ db: deps.db, clock: deps.clock });
  // ── ACC-4: password policy ──
  // The one checker: reset and change call `policy.check`, the pages show `policy.rules`.
  const policy = deps.passwordPolicy;
  // ── ACC-1: password reset (and ACC-5's reset link sent by an administrator) ──
  const reset = createPasswordReset({
    ...deps,
    tokens,
    policy,
    publicUrl: deps.config.server.publicUrl,
    passwordSignIn: async (tenantId) => (await deps.identityProviders.signInMethods(tenantId)).password,
  });
  // Email, password and status changes retire the user's reset links; a new email tells the old one.
  deps.users.onCredentialsChange(reset.credentialsChanged);
  // ── ACC-3: email verification ──
  // The users service issues links through it (sign-up, email changes): users cannot import accounts.
  const emailVerification = createEmailVerification({
    ...deps,
    tokens,
    quota: deps.invitationQuota,
    publicUrl: deps.config.server.publicUrl,
  });
  deps.users.verifyEmailsWith(emailVerification);
  // ── ACC-2: password change ──
  // One check of current passwords, throttled once for both changes that need one.
  const verifyCurrent = createCurrentPasswordCheck(deps.limiters);
  const passwordChange = createPasswordChange({ ...deps, policy, verifyCurrent });
  // ── ACC-3: one's own name and email (the email with the current password) ──
  const profileChange = createProfileChange({ users: deps.users, verifyCurrent });
  return { tokens, policy, reset, passwordChange, profileChange, emailVerification };
}

export type AccountServices = ReturnType<typeof createAccountServices>;
