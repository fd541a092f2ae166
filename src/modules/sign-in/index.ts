export { DEFAULT_SIGN_IN_POLICY, type SignInPolicy, signInPolicy } from './policy.ts';
export { derivePseudonymKeys, PSEUDONYM_INSTALLATION_KEY, type PseudonymKeys } from './pseudonym-keys.ts';
export {
  createSignInService,
  type DeviceCookieValue,
  type SignInAttempt,
  type SignInResult,
  type SignInService,
  type SignInServiceDeps,
} from './sign-in.service.ts';
export type { Unlocked, UnlockTarget } from './unlock.ts';
export { USERNAME_HASH_PREFIX, usernameHash } from './username-hash.ts';
