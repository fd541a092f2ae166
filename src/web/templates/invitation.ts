import type { PasswordRules } from '../../modules/accounts/index.ts';
import { html } from '../html.ts';
import { type Page, renderPage } from '../page.ts';
import { csrfInput, errorSummary, type FieldInput, field } from './form.ts';
import { newPasswordField } from './password-rules.ts';

export type InvitationField = 'username' | 'name' | 'password' | 'passwordConfirm';

export interface InvitationPageInput {
  /** The link's token: the form posts back to `/invitations/<token>`. */
  token: string;
  csrfToken: string;
  organizationName: string;
  /** The business group invited to, when it is not the master org itself. */
  groupName: string | null;
  /** The invited address: the new account's email. */
  email: string;
  /** ACC-4: the org's password rules, shown before submission. */
  passwordRules: PasswordRules;
  /** What the form shows again after an error: never the passwords. */
  values?: Partial<Record<'username' | 'name', string>>;
  /** Problems per field, each the end of a sentence that starts with the field's label. */
  errors?: Partial<Record<InvitationField, string>>;
  generalErrors?: readonly string[];
}

export const INVITATION_LABELS: Record<InvitationField, string> = {
  username: 'Username',
  name: 'Full name',
  password: 'Password',
  passwordConfirm: 'Confirm password',
};

type Spec = Omit<FieldInput, 'label' | 'value' | 'error' | 'name'>;
const SPECS: Record<Exclude<InvitationField, 'password'>, Spec> = {
  username: {
    type: 'text',
    autocomplete: 'username',
    hint: 'Letters, digits and . _ @ + -, starting with a letter or digit; at least 3 characters.',
    attributes: html`minlength="3" maxlength="128" autocapitalize="none" spellcheck="false"`,
  },
  name: { type: 'text', autocomplete: 'name', attributes: html`maxlength="255"` },
  passwordConfirm: { type: 'password', autocomplete: 'new-password', attributes: html`maxlength="256"` },
};

const FIELDS = Object.keys(INVITATION_LABELS) as InvitationField[];

/** INV-3: the invitee creates their account (username, name, password) in the inviting org. */
export function invitationPage(input: InvitationPageInput): Page {
  const errors = input.errors ?? {};
  const values = input.values ?? {};
  const errorFor = (name: InvitationField) => errors[name] && `${INVITATION_LABELS[name]} ${errors[name]}`;
  const fieldFor = (name: InvitationField) =>
    name === 'password'
      ? newPasswordField({
          rules: input.passwordRules,
          label: INVITATION_LABELS.password,
          error: errorFor(name),
        })
      : field({
          ...SPECS[name],
          name,
          label: INVITATION_LABELS[name],
          value: name === 'username' || name === 'name' ? values[name] : undefined,
          error: errorFor(name),
        });
  const summary = [
    ...(input.generalErrors ?? []).map((message) => ({ message })),
    ...FIELDS.filter((name) => errors[name]).map((name) => ({
      field: name,
      message: `${INVITATION_LABELS[name]} ${errors[name]}`,
    })),
  ];
  const where = input.groupName
    ? html`<strong>${input.organizationName}</strong> (${input.groupName})`
    : html`<strong>${input.organizationName}</strong>`;
  const body = html`${errorSummary(summary)}
<h1>Join ${input.organizationName}</h1>
<p>You have been invited to join ${where}. Create your account to accept.</p>
<form method="post" action="/invitations/${input.token}">
${csrfInput(input.csrfToken)}
<p>Email address: <strong>${input.email}</strong></p>
${FIELDS.map(fieldFor)}
<div class="actions"><button class="button" type="submit">Create account</button></div>
</form>`;
  const title = `${summary.length > 0 ? 'Error: ' : ''}Join ${input.organizationName}`;
  return renderPage({ title, body });
}
