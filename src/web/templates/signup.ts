import { DEFAULT_PASSWORD_RULES } from '../../modules/accounts/index.ts';
import { html } from '../html.ts';
import { type Page, PRODUCT_NAME, renderPage } from '../page.ts';
import { csrfInput, errorSummary, type FieldInput, field } from './form.ts';
import { newPasswordField } from './password-rules.ts';

export type SignupField =
  | 'companyName'
  | 'domain'
  | 'name'
  | 'username'
  | 'email'
  | 'password'
  | 'passwordConfirm';

/** What the form shows again after an error: everything typed except the passwords. */
export type SignupValues = Partial<Record<'companyName' | 'domain' | 'name' | 'username' | 'email', string>>;

export interface SignupPageInput {
  csrfToken: string;
  /** Where the form posts; `/signup` by default. */
  action?: string;
  /** The installation's public URL, to show the sign-in address the domain makes. */
  publicUrl?: string;
  values?: SignupValues;
  /**
   * Problems per field, each the end of a sentence that starts with the field's label
   * ("must be 3 to 63 characters" → "Domain must be 3 to 63 characters").
   */
  errors?: Partial<Record<SignupField, string>>;
  /** Problems that belong to no field, shown at the top. */
  generalErrors?: readonly string[];
}

export const SIGNUP_LABELS: Record<SignupField, string> = {
  companyName: 'Company name',
  domain: 'Domain',
  name: 'Full name',
  username: 'Username',
  email: 'Email address',
  password: 'Password',
  passwordConfirm: 'Confirm password',
};

type Spec = Omit<FieldInput, 'label' | 'value' | 'error' | 'name'>;
const noAutocorrect = html`autocapitalize="none" spellcheck="false"`;
const SPECS: Record<Exclude<SignupField, 'password'>, Spec> = {
  companyName: { type: 'text', autocomplete: 'organization', attributes: html`maxlength="255"` },
  domain: {
    type: 'text',
    autocomplete: 'off',
    attributes: html`minlength="3" maxlength="63" ${noAutocorrect}`,
  },
  name: { type: 'text', autocomplete: 'name', attributes: html`maxlength="255"` },
  username: {
    type: 'text',
    autocomplete: 'username',
    hint: 'Letters, digits and . _ @ + -, starting with a letter or digit; at least 3 characters.',
    attributes: html`minlength="3" maxlength="128" ${noAutocorrect}`,
  },
  email: { type: 'email', autocomplete: 'email', attributes: html`maxlength="254"` },
  passwordConfirm: { type: 'password', autocomplete: 'new-password', attributes: html`maxlength="256"` },
};

/** ORG-1: the sign-up form (company, domain per ORG-3, first administrator). */
export function signupPage(input: SignupPageInput): Page {
  const errors = input.errors ?? {};
  const values = input.values ?? {};
  const loginBase = `${input.publicUrl ?? ''}/login/`;
  const domainHint =
    `Your sign-in address will be ${loginBase}<domain>. 3 to 63 characters: lowercase letters a–z, ` +
    'digits 0–9 and hyphens, not first or last. It must not be in use by another company.';
  const errorFor = (name: SignupField) => errors[name] && `${SIGNUP_LABELS[name]} ${errors[name]}`;
  const fieldFor = (name: SignupField) =>
    name === 'password'
      ? // ACC-4: no tenant yet, so the default rules, shown before submission.
        newPasswordField({
          rules: DEFAULT_PASSWORD_RULES,
          label: SIGNUP_LABELS.password,
          error: errorFor(name),
        })
      : field({
          ...SPECS[name],
          ...(name === 'domain' ? { hint: domainHint } : {}),
          name,
          label: SIGNUP_LABELS[name],
          value: name === 'passwordConfirm' ? undefined : values[name],
          error: errorFor(name),
        });
  const summary = [
    ...(input.generalErrors ?? []).map((message) => ({ message })),
    ...(Object.keys(SIGNUP_LABELS) as SignupField[])
      .filter((name) => errors[name])
      .map((name) => ({ field: name, message: `${SIGNUP_LABELS[name]} ${errors[name]}` })),
  ];
  const body = html`${errorSummary(summary)}
<h1>Create your ${PRODUCT_NAME} account</h1>
<p>Set up your company and its first administrator: you.</p>
<form method="post" action="${input.action ?? '/signup'}">
${csrfInput(input.csrfToken)}
<fieldset>
<legend>Your company</legend>
${fieldFor('companyName')}
${fieldFor('domain')}
</fieldset>
<fieldset>
<legend>Your administrator account</legend>
${(['name', 'username', 'email', 'password', 'passwordConfirm'] as const).map(fieldFor)}
</fieldset>
<div class="actions"><button class="button" type="submit">Create account</button></div>
</form>
<p>Already have an account? Sign in at your company's address, ${loginBase}&lt;domain&gt;, or <a href="/console/">open the console</a>.</p>`;
  const title = `${summary.length > 0 ? 'Error: ' : ''}Create your account`;
  return renderPage({ title, body });
}

/**
 * SEC-9: SIGNUP_MODE=closed. Says why there is no form and where to go instead: the operator, who
 * creates organizations, or the sign-in of an organization that already exists.
 */
export function signupClosedPage(input: { publicUrl?: string } = {}): Page {
  const loginBase = `${input.publicUrl ?? ''}/login/`;
  const body = html`<h1>Sign-up is closed</h1>
<p>Organizations cannot sign themselves up on this installation of ${PRODUCT_NAME}: its operator creates them.</p>
<p>To get an account for your company, ask the operator of this installation (whoever gave you its address).
To join a company that already has one, ask its administrators for an invitation.</p>
<p>Already have an account? Sign in at your company's address, ${loginBase}&lt;domain&gt;, or <a href="/console/">open the console</a>.</p>`;
  return renderPage({ title: 'Sign-up is closed', body });
}
