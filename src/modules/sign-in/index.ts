export {
  createSignInService,
  type SignInAttempt,
  type SignInResult,
  type SignInService,
} from './sign-in.service.ts';
