export { DEFAULT_SIGN_IN_POLICY, type SignInPolicy, signInPolicy } from './policy.ts';
export {
  createSignInService,
  type DeviceCookieValue,
  type SignInAttempt,
  type SignInResult,
  type SignInService,
  type SignInServiceDeps,
} from './sign-in.service.ts';
export type { Unlocked, UnlockTarget } from './unlock.ts';
