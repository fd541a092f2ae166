import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import { csrfInput, errorSummary, type FormError, field } from './form.ts';

/** Why the previous attempt failed. Failures never say whether the username exists (SESS-8). */
export type LoginProblem =
  | { kind: 'invalid_credentials' }
  | { kind: 'too_many_attempts'; retryAfterMinutes: number };

export interface LoginPageInput {
  /** The org signing in (from `/login/:domain` or the authorization request); absent when unknown. */
  org?: { orgName: string; domain: string };
  /** The app the user is signing in to, when there is one. */
  appName?: string;
  /** Where the form posts (e.g. `/interaction/<uid>/login`). */
  action: string;
  csrfToken: string;
  /** The username typed last time, shown again. */
  username?: string;
  problem?: LoginProblem;
  /** Whether to offer "Create an account" (a link to `/signup`). */
  signupAllowed?: boolean;
  /** URLs the sign-in may end up at after redirects (the client's redirect URI): joined to form-action. */
  formActionUrls?: readonly string[];
  /** FED-2: the org's identity providers, one button each (a POST carrying the CSRF token). */
  providers?: ReadonlyArray<{ name: string; action: string }>;
  /** Whether to show the username and password form (default true; FED-5 may leave providers only). */
  passwordForm?: boolean;
  /** ACC-1: "Forgot your password?", linking here; shown with the password form only. */
  forgotUrl?: string;
}

export const INVALID_CREDENTIALS_MESSAGE = 'Incorrect username or password.';

export function tooManyAttemptsMessage(minutes: number): string {
  const n = Math.max(1, Math.ceil(minutes));
  return `Too many attempts. Try again in ${n} ${n === 1 ? 'minute' : 'minutes'}.`;
}

function problemMessage(problem: LoginProblem): string {
  return problem.kind === 'invalid_credentials'
    ? INVALID_CREDENTIALS_MESSAGE
    : tooManyAttemptsMessage(problem.retryAfterMinutes);
}

/** SESS-1: username and password for an org, posting to `action`. */
export function loginPage(input: LoginPageInput): Page {
  const errors: FormError[] = input.problem ? [{ message: problemMessage(input.problem) }] : [];
  const heading = input.org ? `Sign in to ${input.org.orgName}` : 'Sign in';
  const providers = input.providers ?? [];
  const showPassword = input.passwordForm !== false || providers.length === 0;
  const passwordForm = html`${providers.length > 0 && html`<p>Or sign in with your username and password:</p>`}
<form method="post" action="${input.action}">
${csrfInput(input.csrfToken)}
${field({
  name: 'username',
  label: 'Username',
  type: 'text',
  autocomplete: 'username',
  value: input.username,
  attributes: html`autocapitalize="none" spellcheck="false" maxlength="128"`,
})}
${field({
  name: 'password',
  label: 'Password',
  type: 'password',
  autocomplete: 'current-password',
  attributes: html`maxlength="256"`,
})}
<div class="actions"><button class="button" type="submit">Sign in</button></div>
</form>
${input.forgotUrl && html`<p><a href="${input.forgotUrl}">Forgot your password?</a></p>`}`;
  const body = html`${errorSummary(errors)}
<h1>${heading}</h1>
${input.appName && html`<p>to continue to <strong>${input.appName}</strong></p>`}
${providers.map(
  (p) => html`<form method="post" action="${p.action}">
${csrfInput(input.csrfToken)}
<div class="actions"><button class="button" type="submit">Sign in with ${p.name}</button></div>
</form>`,
)}
${showPassword && passwordForm}
${input.signupAllowed && html`<p>New to Canopy? <a href="/signup">Create an account</a></p>`}`;
  return renderPage({
    title: `${errors.length > 0 ? 'Error: ' : ''}${heading}`,
    body,
    formActionUrls: input.formActionUrls,
  });
}
