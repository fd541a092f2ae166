export {
  type AccountTokenPurpose,
  type AccountTokens,
  createAccountTokens,
  LINK_LIFETIME_MS,
} from './account-tokens.ts';
export {
  CURRENT_PASSWORD_FAILURES,
  type CurrentPasswordCheck,
  createCurrentPasswordCheck,
} from './current-password.ts';
export {
  createEmailVerification,
  EMAIL_CHANGES_PER_USER,
  type EmailVerification,
  type EmailVerificationDeps,
  type UnprovenMailQuota,
  VERIFICATION_RESENDS_PER_USER,
  type VerificationLinkSummary,
  type VerificationSent,
} from './email-verification.ts';
export { passwordChangeRoutes } from './password-change.routes.ts';
export { createPasswordChange, type PasswordChange } from './password-change.ts';
export {
  checkPassword,
  createPasswordPolicy,
  DEFAULT_PASSWORD_RULES,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PASSWORD_MIN_STRENGTH,
  type PasswordCompany,
  type PasswordPerson,
  type PasswordPolicy,
  type PasswordRule,
  type PasswordRules,
} from './password-policy.ts';
export { passwordResetRoutes } from './password-reset.routes.ts';
export {
  createPasswordReset,
  type PasswordReset,
  type PasswordResetDeps,
  type ResetLinkSummary,
  type ResetRequestAnswer,
} from './password-reset.ts';
export { profileChangeRoutes } from './profile-change.routes.ts';
export { createProfileChange, type ProfileChange } from './profile-change.ts';
export { VERIFICATION_SUBJECT } from './verification.mail.ts';
export { verificationRoutes } from './verification.routes.ts';
