// One's own profile (ACC-2, ACC-3, ACC-5): who you are (your name and email, to edit), your password
// (for local accounts) and your sessions.
import { api } from '../api.js';
import { emailWithStatus, verificationPanel } from '../components/email-verification.js';
import { sessionsPanel } from '../components/sessions-panel.js';
import { notify, openDialog } from '../dialogs.js';
import { code, factList, field, form, h, heading, hint, section } from '../dom.js';

function facts(user, organization) {
  const rows = [
    ['Name', user.name],
    ['Username', user.username],
    ['Email', emailWithStatus(user)],
    ['Organization', organization.name],
    ['Id', code(user.id)],
  ];
  return factList(rows);
}

/**
 * ACC-3: "Edit" for one's name and email. A new address needs the current password (a session alone
 * cannot move the account's mail); users of an identity provider change their name only.
 */
function editButton(ctx, user) {
  const open = () =>
    openDialog('Edit your profile', (close) =>
      form({
        fields: [
          field({ label: 'Name', name: 'name', value: user.name, required: true, autocomplete: 'name' }),
          user.local
            ? [
                field({
                  label: 'Email',
                  name: 'email',
                  type: 'email',
                  value: user.email,
                  required: true,
                  autocomplete: 'email',
                  hint: 'A link to verify a new address is sent there; your old address is told.',
                }),
                field({
                  label: 'Current password',
                  name: 'currentPassword',
                  type: 'password',
                  autocomplete: 'current-password',
                  hint: 'Needed only to change your email.',
                }),
              ]
            : hint('Your email is your identity provider’s: it is updated at each sign-in.'),
        ],
        submit: 'Save changes',
        secondary: h(
          'button',
          { class: 'button button-secondary', type: 'button', onclick: close },
          'Cancel',
        ),
        onSubmit: async ({ name, email, currentPassword }) => {
          const changes = {};
          if (name.trim() !== user.name) changes.name = name;
          if (email !== undefined && email.trim() !== user.email) {
            changes.email = email;
            changes.currentPassword = currentPassword;
          }
          if (!Object.keys(changes).length) return notify('Nothing to change.');
          const saved = await api.patch('/me', changes);
          close();
          // ACC-3: a new address is unverified until the link mailed to it is followed.
          notify(
            changes.email
              ? `Profile saved. A link to verify ${saved.email} was sent there.`
              : 'Profile saved.',
          );
          // The name in the top bar too.
          await ctx.refresh().catch(() => undefined);
          ctx.rerender();
        },
      }),
    );
  return h(
    'div',
    { class: 'actions' },
    h('button', { class: 'button', type: 'button', onclick: open }, 'Edit'),
  );
}

/** ACC-4: the organization's rules (`GET /me`), said before a password is chosen. */
function rulesHint(rules) {
  if (!rules)
    return 'A long phrase of a few unrelated words is good. Not your name, username, email or company.';
  return (
    `At least ${rules.minLength} characters (at most ${rules.maxLength}), not a common password, and not ` +
    `easy to guess (a strength of at least ${rules.minStrength} of 4, as a password-strength estimator ` +
    'rates it); a long phrase of a few unrelated words is good. Not your username, email, company name or domain.'
  );
}

/** The form of ACC-2. The server checks the policy (ACC-4) and says which rule a password breaks. */
function passwordPanel(rules, onChanged) {
  const passwordField = (label, name, autocomplete, help) =>
    field({ label, name, type: 'password', required: true, autocomplete, hint: help });
  return section(
    'Change password',
    hint('Your other sessions end when you change it; this one stays.'),
    form({
      fields: [
        passwordField('Current password', 'currentPassword', 'current-password'),
        passwordField('New password', 'newPassword', 'new-password', rulesHint(rules)),
        passwordField('Confirm new password', 'confirmPassword', 'new-password'),
      ],
      submit: 'Change password',
      onSubmit: async ({ currentPassword, newPassword, confirmPassword }, formEl) => {
        if (newPassword !== confirmPassword) {
          throw {
            message: 'The new passwords do not match.',
            fields: [{ field: 'confirmPassword', problem: 'does not match the new password' }],
          };
        }
        await api.post('/me/password', { currentPassword, newPassword });
        formEl.reset();
        notify('Password changed. Your other sessions have ended.');
        await onChanged();
      },
    }),
  );
}

export async function profileView(ctx) {
  const user = ctx.me.user ? await api.get(`/users/${encodeURIComponent(ctx.me.user.id)}`) : undefined;
  if (!user) return [heading('Your profile'), hint('Only people have a profile here.')];
  const sessions = sessionsPanel({ path: '/me/sessions', self: true });
  return [
    heading('Your profile'),
    facts(user, ctx.me.organization),
    editButton(ctx, user),
    // ACC-3: an unverified address, and a new link to it.
    verificationPanel(user, { path: '/me/verification-email', self: true }),
    user.local
      ? passwordPanel(ctx.me.passwordRules, sessions.reload)
      : section(
          'Password',
          hint(
            'You sign in through your company’s identity provider: your password is theirs to change, not Canopy’s.',
          ),
        ),
    sessions.node,
  ];
}
