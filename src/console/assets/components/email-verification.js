// ACC-3: whether a user's email address is verified, and "Resend verification" for those who may
// ask (the user themself, or a holder of users.manage). Users of an identity provider get no link:
// their provider says whether their address is verified, at each sign-in.
import { api } from '../api.js';
import { notify, statusButton } from '../dialogs.js';
import { h, hint } from '../dom.js';

/** "verified" or "unverified", as a badge next to the address. */
export function emailBadge(user) {
  return user.emailVerified
    ? h('span', { class: 'badge' }, 'verified')
    : h('span', { class: 'badge badge-warn' }, 'unverified');
}

/** The address with its badge, for a table cell or a fact. */
export const emailWithStatus = (user) =>
  h('span', { class: 'email-status' }, user.email, ' ', emailBadge(user));

/**
 * What can be done about an unverified address: for a local user, a button that mails a new link
 * (`path`: `/users/:id/verification-email`, or `/me/verification-email` for oneself); for a
 * federated user, where the status comes from. Nothing for a verified address or an inactive user.
 */
export function verificationPanel(user, { path, self = false }) {
  if (user.emailVerified || user.status !== 'active') return null;
  if (!user.local) {
    return hint(
      'This address is unverified: the identity provider did not say it is verified. It is updated at each sign-in.',
    );
  }
  const status = h('div', { class: 'form-status' });
  const resend = statusButton(
    'Resend verification',
    async () => {
      const sent = await api.post(path);
      if (sent.delivery === 'sent') notify(`A verification link was sent to ${sent.email}.`);
      else notify(`The mail to ${sent.email} could not be sent. Try again later.`, 'error');
    },
    { status },
  );
  const who = self ? 'your' : 'their';
  return h(
    'div',
    { class: 'email-verification' },
    hint(
      `This email address is unverified: apps are told so, and no password reset link is sent to it. ` +
        `A link to verify it went to the address; send a new one if ${who} mail did not arrive.`,
    ),
    status,
    h('div', { class: 'actions' }, resend),
  );
}
