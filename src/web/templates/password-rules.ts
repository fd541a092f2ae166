import type { PasswordRules } from '../../modules/accounts/index.ts';
import { AppError } from '../../platform/errors/index.ts';
import { html, type SafeHtml } from '../html.ts';

/**
 * ACC-4 on the pages that set a password (sign-up, invitation acceptance, reset): the policy's rules
 * shown before submission, and the input that the browser and password managers treat as a new
 * password. The numbers come from the policy (`accounts.policy.rules(tenantId)`), never from here.
 */

/** The rules as a list, for a field's description: `id` is what the input's aria-describedby names. */
export function passwordRules(rules: PasswordRules, id = 'password-rules'): SafeHtml {
  return html`<div class="hint password-rules" id="${id}">
<p>Your password must:</p>
<ul>
<li>be at least ${rules.minLength} characters long (at most ${rules.maxLength})</li>
<li>not be one of the most common passwords</li>
<li>not be easy to guess: a strength of at least ${rules.minStrength} of 4, as a password-strength estimator rates it</li>
<li>not contain your username, email, company name or domain</li>
</ul>
<p>A few unrelated words, or a phrase only you would think of, make a strong one.</p>
</div>`;
}

export interface NewPasswordFieldInput {
  rules: PasswordRules;
  /** The input's name and id; `password` by default. */
  name?: string;
  label?: string;
  /** The whole sentence shown under the label, e.g. "Password must be at least 12 characters". */
  error?: string;
}

/**
 * A labelled `autocomplete="new-password"` input with the rules as its description and the policy's
 * bounds as `minlength`/`maxlength`, marked up as form.ts's `field` marks up any other input.
 */
export function newPasswordField(input: NewPasswordFieldInput): SafeHtml {
  const name = input.name ?? 'password';
  const { error, rules } = input;
  const rulesId = `${name}-hint`;
  const described = [rulesId, error && `${name}-error`].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' field-invalid' : ''}">
<label for="${name}">${input.label ?? 'Password'}</label>
${passwordRules(rules, rulesId)}
${error && html`<p class="field-error" id="${name}-error"><span class="visually-hidden">Error:</span> ${error}</p>`}
<input id="${name}" name="${name}" type="password" autocomplete="new-password" required minlength="${rules.minLength}" maxlength="${rules.maxLength}" aria-describedby="${described}"${
    error && html` aria-invalid="true"`
  }>
</div>`;
}

/**
 * The end of the sentence that starts with the field's label ("must be at least 12 characters"),
 * when `err` is the policy's refusal; undefined for anything else.
 */
export function passwordPolicyProblem(err: unknown): string | undefined {
  if (!(err instanceof AppError) || err.code !== 'password.policy') return undefined;
  const problem = err.details?.problem;
  return typeof problem === 'string' ? problem : undefined;
}
