import type { PasswordRules } from '../../modules/accounts/index.ts';
import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import { csrfInput, errorSummary, type FormError, field } from './form.ts';
import { tooManyAttemptsMessage } from './login.ts';
import { newPasswordField } from './password-rules.ts';

// ACC-1 in a browser: the request page reached from the sign-in page ("Forgot your password?"),
// the page every request gets in answer (the same whatever was typed), and the page of the link.

export interface ForgotPageInput {
  orgName: string;
  /** Where the form posts (`/interaction/<uid>/forgot`). */
  action: string;
  csrfToken: string;
  /** Back to the sign-in page of the same interaction. */
  signInUrl: string;
  /** What was typed, shown again after a refusal. */
  identifier?: string;
  problem?: { kind: 'missing' } | { kind: 'too_many_requests'; retryAfterMinutes: number };
}

const IDENTIFIER_LABEL = 'Username or email address';

/** The request form: a username or an email address of the organization's sign-in. */
export function forgotPage(input: ForgotPageInput): Page {
  const problem = input.problem;
  const message =
    problem?.kind === 'missing'
      ? `Enter your ${IDENTIFIER_LABEL.toLowerCase()}`
      : problem && tooManyAttemptsMessage(problem.retryAfterMinutes);
  const errors: FormError[] = message
    ? [problem?.kind === 'missing' ? { field: 'identifier', message } : { message }]
    : [];
  const body = html`${errorSummary(errors)}
<h1>Forgot your password?</h1>
<p>Enter the username or the email address of your account in <strong>${input.orgName}</strong>.
If it has a password here, we will send a link to set a new one to its verified email address.</p>
<form method="post" action="${input.action}">
${csrfInput(input.csrfToken)}
${field({
  name: 'identifier',
  label: IDENTIFIER_LABEL,
  type: 'text',
  autocomplete: 'username',
  value: input.identifier,
  error: problem?.kind === 'missing' ? message : undefined,
  attributes: html`autocapitalize="none" spellcheck="false" maxlength="254"`,
})}
<div class="actions"><button class="button" type="submit">Send me a link</button></div>
</form>
<p><a href="${input.signInUrl}">Back to sign-in</a></p>`;
  return renderPage({ title: `${errors.length > 0 ? 'Error: ' : ''}Forgot your password?`, body });
}

/**
 * The answer to every request that was not refused, whatever it named (ACC-1: no enumeration): no
 * form and nothing that depends on the account, so the page is the same, byte for byte.
 */
export function forgotSentPage(input: { orgName: string; signInUrl: string }): Page {
  const body = html`<h1>Check your email</h1>
<p>If an account of <strong>${input.orgName}</strong> matches what you entered, we sent a link to its verified email address.
The link works once, for 30 minutes.</p>
<p>If you sign in through your company's own sign-in, the message says so instead: that password is not kept here.</p>
<p>Nothing after a few minutes? Check your spam folder, or ask an administrator of your organization.
Only a verified address receives a link.</p>
<p><a href="${input.signInUrl}">Back to sign-in</a></p>`;
  return renderPage({ title: 'Check your email', body });
}

export type ResetField = 'password' | 'passwordConfirm';

export interface ResetPageInput {
  /** `/password-reset/<secret>`: the page's own address. */
  action: string;
  csrfToken: string;
  username: string;
  orgName: string;
  rules: PasswordRules;
  errors?: Partial<Record<ResetField, string>>;
}

const LABELS: Record<ResetField, string> = {
  password: 'New password',
  passwordConfirm: 'Confirm new password',
};

/** The link's page: the new password, with the organization's rules shown before submission (ACC-4). */
export function resetPage(input: ResetPageInput): Page {
  const errors = input.errors ?? {};
  const sentence = (name: ResetField) => errors[name] && `${LABELS[name]} ${errors[name]}`;
  const summary: FormError[] = (['password', 'passwordConfirm'] as const)
    .filter((name) => errors[name])
    .map((name) => ({ field: name, message: sentence(name)! }));
  const body = html`${errorSummary(summary)}
<h1>Choose a new password</h1>
<p>For your account <strong>${input.username}</strong> in <strong>${input.orgName}</strong>.
Setting it signs you out everywhere: every session and every app signed in as you.</p>
<form method="post" action="${input.action}">
${csrfInput(input.csrfToken)}
<input type="text" name="username" value="${input.username}" autocomplete="username" hidden>
${newPasswordField({ rules: input.rules, label: LABELS.password, error: sentence('password') })}
${field({
  name: 'passwordConfirm',
  label: LABELS.passwordConfirm,
  type: 'password',
  autocomplete: 'new-password',
  error: sentence('passwordConfirm'),
  attributes: html`maxlength="${input.rules.maxLength}"`,
})}
<div class="actions"><button class="button" type="submit">Set new password</button></div>
</form>`;
  return renderPage({ title: `${summary.length > 0 ? 'Error: ' : ''}Choose a new password`, body });
}

/** After a reset: signed out everywhere, and where to sign in again. */
export function resetDonePage(input: { signInUrl: string }): Page {
  const body = html`<h1>Your password was changed</h1>
<p>You were signed out everywhere: every session and every app signed in as you has ended.</p>
<p>Sign in again with your new password.</p>
<div class="actions"><a class="button" href="${input.signInUrl}">Sign in</a></div>`;
  return renderPage({ title: 'Your password was changed', body });
}

/** The refusals of the reset link's page: its form expired (403), or the link is dead (410). */
export const resetRefusals = {
  expired: {
    title: 'This form has expired',
    message:
      'For your security, forms work for a limited time and only in the browser that opened them. ' +
      'Open the link from your email again.',
  },
  deadLinkMessage:
    'Password reset links work once, for 30 minutes, and only the newest one sent works. ' +
    'Ask for a new link from your organization’s sign-in page (“Forgot your password?”).',
};
