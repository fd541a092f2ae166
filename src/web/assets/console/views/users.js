// Users (USR-1…USR-4) and invitations (INV-1, INV-2): the list with search, inviting people with
// an optional role, pending invitations (resend, cancel), and one user's page: profile, disable,
// enable, delete, and their role assignments per node and environment.
import { api, getAll } from '../api.js';
import { assignmentsPanel, revealingProblems, roleGrantFields } from '../components/role-assignments.js';
import {
  closeButton,
  code,
  errorBox,
  field,
  form,
  h,
  heading,
  hint,
  notify,
  openDialog,
  pager,
  section,
  statusButton,
  table,
  when,
} from '../dom.js';

const PAGE = 25;
const INVITATION_STATUSES = [
  { value: 'pending', label: 'Pending' },
  { value: 'expired', label: 'Expired' },
  { value: 'accepted', label: 'Accepted' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'all', label: 'All' },
];

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const offsetOf = (query, key) => Math.max(0, Number.parseInt(query.get(key) ?? '0', 10) || 0);
/** Where the last page of `total` items starts. */
const lastPageOffset = (total) => Math.max(0, Math.floor((total - 1) / PAGE) * PAGE);

/**
 * A page of `path` at `offset`; when that page is empty but earlier ones are not (its last rows were
 * removed, here or elsewhere), the last page there is instead; the page says which offset it is at.
 */
async function pageAt(path, query, offset) {
  for (;;) {
    const page = await api.get(path, { ...query, limit: PAGE, offset });
    if (page.items.length || offset === 0) return page;
    offset = Math.max(0, Math.min(offset - PAGE, lastPageOffset(page.total)));
  }
}

/** `#/users?…` with `changes` applied to the current query (empty values and zero offsets dropped). */
function usersPath(query, changes) {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === '' || value === undefined || value === null || value === 0) next.delete(key);
    else next.set(key, String(value));
  }
  const search = next.toString();
  return search ? `/users?${search}` : '/users';
}

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
    { label: 'Email', cell: (u) => u.email },
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

// ---- Invitations -----------------------------------------------------------------------------

/** "Pending invitations" with a status filter; answers `{ node, reload }` so actions refresh it alone. */
function invitationsPanel(ctx, query) {
  const status = INVITATION_STATUSES.some((s) => s.value === query.get('status'))
    ? query.get('status')
    : 'pending';
  let offset = offsetOf(query, 'invitationOffset');
  let latest = 0; // the number of the newest reload: an older answer that arrives late is dropped
  const title = h('h2', { tabindex: '-1' }, 'Pending invitations');
  const problems = h('div', { class: 'form-status' });
  const body = h('div', null, hint('Loading…'));
  const filter = form({
    className: 'inline-form',
    fields: [
      field({
        label: 'Invitation status',
        name: 'status',
        type: 'select',
        value: status,
        options: INVITATION_STATUSES,
      }),
    ],
    submit: 'Show',
    onSubmit: ({ status: next }) =>
      ctx.go(usersPath(query, { status: next === 'pending' ? '' : next, invitationOffset: 0 })),
  });

  const reload = async () => {
    const mine = ++latest;
    let content;
    try {
      const page = await pageAt('/invitations', { status }, offset);
      if (mine !== latest) return;
      offset = page.offset;
      content = [
        invitationsTable(ctx, page.items, status, { reload, problems, title }),
        pager(page, (next) => ctx.go(usersPath(query, { invitationOffset: next }))),
      ];
    } catch (err) {
      content = [errorBox(err)];
    }
    if (mine === latest) body.replaceChildren(...content.filter(Boolean));
  };
  void reload();
  const node = h(
    'section',
    { class: 'panel' },
    title,
    hint(
      status === 'pending'
        ? 'Invitations not accepted yet, whose links still work.'
        : `Showing ${status === 'all' ? 'all' : status} invitations.`,
    ),
    filter,
    problems,
    body,
  );
  return { node, reload };
}

function invitationsTable(ctx, items, status, { reload, problems, title }) {
  const columns = [
    { label: 'Email', cell: (i) => i.email },
    {
      label: 'Node',
      cell: (i) =>
        ctx.nodes.has(i.organizationId) ? ctx.pathName(i.organizationId) : code(i.organizationId),
    },
    { label: 'Roles', cell: (i) => (i.roles.length ? String(i.roles.length) : 'None') },
    status !== 'pending' && {
      label: 'Status',
      cell: (i) => h('span', { class: i.status === 'pending' ? 'badge' : 'badge badge-warn' }, i.status),
    },
    { label: 'Expires', cell: (i) => when(i.expiresAt) },
    { label: 'Invited', cell: (i) => when(i.createdAt) },
    { label: 'Actions', cell: (i) => invitationActions(ctx, i, { reload, problems, title }) },
  ].filter(Boolean);
  const empty = status === 'pending' ? 'No pending invitations.' : 'No invitations to show.';
  return table({ caption: 'Invitations', columns, rows: items, empty });
}

function invitationActions(ctx, invitation, { reload, problems, title }) {
  if (!ctx.can('users.invite', invitation.organizationId)) return '';
  const { email } = invitation;
  const actions = [];
  if (invitation.status === 'pending' || invitation.status === 'expired') {
    actions.push(
      statusButton(
        'Resend',
        async () => {
          const sent = await api.post(`/invitations/${encodeURIComponent(invitation.id)}/resend`);
          if (sent.delivery === 'sent') notify(`Invitation sent again to ${email}, with a new link.`);
          else notify(`The invitation to ${email} could not be mailed. Try again once mail works.`, 'error');
          await reload();
        },
        { status: problems },
      ),
    );
  }
  if (invitation.status === 'pending') {
    actions.push(
      statusButton(
        'Cancel invitation',
        async () => {
          await api.del(`/invitations/${encodeURIComponent(invitation.id)}`);
          notify(`Invitation to ${email} cancelled.`);
          await reload();
          title.focus();
        },
        {
          status: problems,
          danger: true,
          confirm: {
            title: `Cancel the invitation to ${email}?`,
            message: 'Its link stops working at once. You can invite them again later.',
            confirmLabel: 'Cancel the invitation',
            dismissLabel: 'Keep it',
          },
        },
      ),
    );
  }
  return actions.length ? h('div', { class: 'row-actions' }, actions) : '';
}

/** Addresses from the textarea: one per line, or separated by commas, semicolons or spaces. */
const splitEmails = (text) =>
  String(text ?? '')
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean);

/** `emails.3: must be an email address` → the same problem, naming the address, on the emails field. */
function explainEmailProblems(err, emails) {
  if (!Array.isArray(err.fields)) return err;
  const about = [];
  const others = [];
  for (const f of err.fields) {
    const match = /^emails\.(\d+)$/.exec(String(f.field));
    if (match) about.push(`“${emails[Number(match[1])] ?? '?'}” ${f.problem}`);
    else others.push(f);
  }
  if (about.length) err.fields = [{ field: 'emails', problem: `— ${about.join('; ')}` }, ...others];
  return err;
}

function inviteDialog(ctx, onSent) {
  const content = h('div', null, hint('Loading…'));
  openDialog('Invite people', (close) => {
    const canGrant = ctx.nodesWith('roles.assign').length > 0;
    (canGrant ? getAll('/roles') : Promise.resolve([]))
      .then((roles) => {
        content.replaceChildren(inviteForm(ctx, { roles, canGrant, close, onSent }));
        content.querySelector('textarea')?.focus();
      })
      .catch((err) => content.replaceChildren(errorBox(err)));
    return content;
  });
}

function inviteForm(ctx, { roles, canGrant, close, onSent }) {
  const inviteNodes = ctx.nodesWith('users.invite');
  const target = inviteNodes.some((n) => n.id === ctx.masterId) ? ctx.masterId : inviteNodes[0]?.id;
  const grant = canGrant
    ? roleGrantFields(ctx, { roles, orgId: target, optional: true, nodeLabel: 'On', prefix: 'roles.0.' })
    : null;
  const inviteTo = field({
    label: 'Invite to',
    name: 'orgId',
    type: 'select',
    value: target,
    options: inviteNodes.map((n) => ({ value: n.id, label: ctx.pathName(n.id) })),
    hint: 'The organization or business group they join.',
  });
  inviteTo.querySelector('select').addEventListener('change', (e) => grant?.setNode(e.target.value));
  const roleFieldset =
    grant &&
    h(
      'fieldset',
      null,
      h('legend', null, 'Role (optional)'),
      hint('Granted to each new account when its invitation is accepted.'),
      grant.fields,
    );
  return form({
    fields: [
      field({
        label: 'Email addresses',
        name: 'emails',
        type: 'textarea',
        required: true,
        spellcheck: 'false',
        autocomplete: 'off',
        hint: 'One per line, or separated by commas. At most 50 at a time.',
      }),
      inviteTo,
      roleFieldset,
    ],
    submit: 'Send invitations',
    secondary: closeButton(close),
    onSubmit: revealingProblems(async (values) => {
      const emails = splitEmails(values.emails);
      if (!emails.length) {
        throw {
          message: 'Enter at least one email address.',
          fields: [{ field: 'emails', problem: 'must name at least one address' }],
        };
      }
      const role = grant?.read(values);
      let items;
      try {
        ({ items } = await api.post(`/organizations/${encodeURIComponent(values.orgId)}/invitations`, {
          emails,
          roles: role ? [role] : [],
        }));
      } catch (err) {
        throw explainEmailProblems(err, emails);
      }
      close();
      reportDelivery(items);
      onSent?.();
    }),
  });
}

function reportDelivery(items) {
  const sent = items.filter((i) => i.delivery === 'sent');
  const failed = items.filter((i) => i.delivery !== 'sent');
  if (sent.length) notify(`${plural(sent.length, 'invitation')} sent.`);
  if (failed.length) {
    const names = failed.map((i) => i.email).join(', ');
    notify(`Could not mail ${names}: resend once mail works (see Pending invitations).`, 'error');
  }
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
    manage && user.status !== 'deleted' ? profilePanel(ctx, user) : null,
    manage && user.status !== 'deleted' ? accountPanel(ctx, user, self) : null,
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
    ['Email', user.email],
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
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
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
        await api.patch(`/users/${encodeURIComponent(user.id)}`, changes);
        notify('Profile saved.');
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
  );
}
