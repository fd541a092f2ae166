// Users (USR-1…USR-4): the list with search, and one user's page: profile, disable, enable, delete,
// and their role assignments per node and environment. Inviting people and the invitations panel
// are in components/invitations.js.
import { api } from '../api.js';
import { emailWithStatus, verificationPanel } from '../components/email-verification.js';
import {
  invitationsPanel,
  inviteDialog,
  offsetOf,
  pageAt,
  plural,
  usersPath,
} from '../components/invitations.js';
import { assignmentsPanel } from '../components/role-assignments.js';
import { sessionsPanel } from '../components/sessions-panel.js';
import { notify, statusButton } from '../dialogs.js';
import {
  code,
  errorBox,
  factList,
  field,
  form,
  h,
  heading,
  hint,
  pager,
  section,
  table,
  when,
} from '../dom.js';

function statusBadge(status) {
  return h('span', { class: status === 'active' ? 'badge' : 'badge badge-warn' }, status);
}

const accountKind = (user) => (user.local ? 'Local' : 'Federated');

// ---- The list --------------------------------------------------------------------------------

export async function usersView(ctx, { query }) {
  const manage = ctx.can('users.manage');
  const inviteNodes = ctx.nodesWith('users.invite');
  const title = heading('Users');
  if (!manage && !inviteNodes.length) {
    return [
      title,
      hint('You may not see the users of this organization.'),
      ctx.me.user &&
        h('p', null, h('a', { href: `#/users/${encodeURIComponent(ctx.me.user.id)}` }, 'Your profile')),
    ].filter(Boolean);
  }
  const invitations = inviteNodes.length ? invitationsPanel(ctx, query) : null;
  const invite =
    inviteNodes.length > 0 &&
    h(
      'button',
      { class: 'button', type: 'button', onclick: () => inviteDialog(ctx, () => invitations?.reload()) },
      'Invite people',
    );
  return [
    h('div', { class: 'view-head' }, title, invite),
    manage
      ? await usersPanel(ctx, query)
      : hint('You can invite people; the list of users is for those who manage users (users.manage).'),
    invitations?.node,
  ].filter(Boolean);
}

async function usersPanel(ctx, query) {
  const search = query.get('search') ?? '';
  const page = await pageAt('/users', { search }, offsetOf(query, 'offset'));
  const searchForm = form({
    className: 'inline-form',
    fields: [
      field({
        label: 'Search users',
        name: 'search',
        type: 'search',
        value: search,
        autocomplete: 'off',
        hint: 'Part of a username, email or name.',
      }),
    ],
    submit: 'Search',
    secondary: search
      ? h('a', { href: `#${usersPath(query, { search: '', offset: 0 })}` }, 'Clear search')
      : null,
    onSubmit: ({ search: text }) =>
      ctx.go(usersPath(query, { search: String(text ?? '').trim(), offset: 0 })),
  });
  const columns = [
    { label: 'Username', cell: (u) => h('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.username) },
    { label: 'Name', cell: (u) => u.name },
    { label: 'Email', cell: emailWithStatus },
    { label: 'Status', cell: (u) => statusBadge(u.status) },
    { label: 'Account', cell: accountKind },
    { label: 'Created', cell: (u) => when(u.createdAt) },
  ];
  return section(
    'All users',
    searchForm,
    search ? hint(`${plural(page.total, 'user')} match “${search}”.`) : null,
    table({
      caption: 'Users',
      columns,
      rows: page.items,
      empty: search ? 'No user matches that search.' : 'No users yet.',
    }),
    pager(page, (next) => ctx.go(usersPath(query, { offset: next }))),
  );
}

// ---- One user --------------------------------------------------------------------------------

export async function userView(ctx, { params }) {
  const { userId } = params;
  let user;
  try {
    user = await api.get(`/users/${encodeURIComponent(userId)}`);
  } catch (err) {
    return [heading('User'), errorBox(err), backLink(ctx)].filter(Boolean);
  }
  const self = user.id === ctx.me.user?.id;
  const manage = ctx.can('users.manage');
  const label = `${user.name} (${user.username})`;
  return [
    heading(user.name),
    backLink(ctx),
    facts(user),
    // ACC-3: "Resend verification" for an unverified address, for administrators and oneself.
    manage || self
      ? verificationPanel(user, { path: `/users/${encodeURIComponent(user.id)}/verification-email`, self })
      : null,
    manage && user.status !== 'deleted' ? profilePanel(ctx, user) : null,
    manage && user.status !== 'deleted' ? accountPanel(ctx, user, self) : null,
    // ACC-5: where they are signed in, with "End" on each session.
    manage && user.status === 'active'
      ? sessionsPanel({ path: `/users/${encodeURIComponent(user.id)}/sessions`, self }).node
      : null,
    user.status === 'deleted'
      ? hint('This user was deleted and is kept for the audit log; the username stays taken.')
      : null,
    assignmentsPanel(ctx, { userId: user.id, userLabel: label }),
  ].filter(Boolean);
}

const backLink = (ctx) =>
  ctx.can('users.manage') ? h('p', null, h('a', { href: '#/users' }, '← All users')) : null;

function facts(user) {
  const rows = [
    ['Username', user.username],
    ['Email', emailWithStatus(user)],
    ['Status', statusBadge(user.status)],
    [
      'Account',
      user.local
        ? 'Local (signs in with a password here)'
        : 'Federated (signs in through an identity provider)',
    ],
    ['Created', when(user.createdAt)],
    ['Updated', when(user.updatedAt)],
    ['Id', code(user.id)],
  ];
  return factList(rows);
}

function profilePanel(ctx, user) {
  return section(
    'Profile',
    user.local ? null : hint('The identity provider refreshes this profile at each sign-in.'),
    form({
      fields: [
        field({ label: 'Name', name: 'name', value: user.name, required: true, autocomplete: 'off' }),
        field({
          label: 'Email',
          name: 'email',
          type: 'email',
          value: user.email,
          required: true,
          autocomplete: 'off',
        }),
      ],
      submit: 'Save changes',
      onSubmit: async ({ name, email }) => {
        const changes = {};
        if (name.trim() !== user.name) changes.name = name;
        if (email.trim() !== user.email) changes.email = email;
        if (!Object.keys(changes).length) return notify('Nothing to change.');
        const saved = await api.patch(`/users/${encodeURIComponent(user.id)}`, changes);
        // ACC-3: a new address is unverified until the link mailed to it is followed.
        const mailed = changes.email && saved.local && !saved.emailVerified;
        notify(mailed ? `Profile saved. A link to verify ${saved.email} was sent there.` : 'Profile saved.');
        ctx.rerender();
      },
    }),
  );
}

function accountPanel(ctx, user, self) {
  const status = h('div', { class: 'form-status' });
  const path = `/users/${encodeURIComponent(user.id)}`;
  const who = `${user.name} (${user.username})`;
  const youToo = self ? ' This is you: you will be signed out.' : '';
  const toggle =
    user.status === 'active'
      ? statusButton(
          'Disable',
          async () => {
            await api.post(`${path}/disable`);
            notify(`${user.name} is disabled.`);
            ctx.rerender();
          },
          {
            status,
            danger: true,
            confirm: {
              title: 'Disable user',
              message: `Disable ${who}? All of their sessions end at once and they cannot sign in until enabled again.${youToo}`,
            },
          },
        )
      : statusButton(
          'Enable',
          async () => {
            await api.post(`${path}/enable`);
            notify(`${user.name} is enabled and can sign in again.`);
            ctx.rerender();
          },
          { status },
        );
  const remove = statusButton(
    'Delete user',
    async () => {
      await api.del(path);
      notify(`${user.name} was deleted.`);
      ctx.go('/users');
    },
    {
      status,
      danger: true,
      confirm: {
        title: 'Delete user',
        message:
          `Delete ${who}? Deleting ends all of their sessions at once and cannot be undone. ` +
          `The account is kept for the audit log and the username stays taken.${youToo}`,
      },
    },
  );
  return section(
    'Account',
    hint(
      'Disabling or deleting ends all of the user’s sessions at once. The owner of a node cannot be disabled or deleted: transfer ownership first.',
    ),
    status,
    h('div', { class: 'actions' }, toggle, remove),
    resetLink(user, path, who),
  );
}

// ACC-5: an administrator never sets a password; they send the user a link to choose one (ACC-1).
function resetLink(user, path, who) {
  if (!user.local || user.status !== 'active') return null;
  if (!user.emailVerified) {
    return hint('A password reset link can be sent once the user has verified their email address.');
  }
  const status = h('div', { class: 'form-status' });
  const send = statusButton(
    'Send reset link',
    async () => {
      const sent = await api.post(`${path}/password-reset`);
      if (sent.delivery === 'sent') notify(`A password reset link was sent to ${sent.email}.`);
      else notify(`The mail to ${sent.email} could not be sent. Try again later.`, 'error');
    },
    {
      status,
      confirm: {
        title: 'Send password reset link',
        message:
          `Send ${who} a link to choose a new password? It goes to ${user.email}, works once for 30 minutes, ` +
          'and setting the new password signs them out everywhere. Nobody else learns the password.',
      },
    },
  );
  return h(
    'div',
    { class: 'reset-link' },
    hint('Forgotten password: send a single-use link to the user’s verified email address.'),
    status,
    h('div', { class: 'actions' }, send),
  );
}
