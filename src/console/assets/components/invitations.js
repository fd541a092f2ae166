// Invitations (INV-1, INV-2) on the users page: inviting people with an optional role, and the
// invitations panel with its status filter, resend and cancel. Also the paging and `#/users` query
// helpers the users list shares with it.
import { api, getAll } from '../api.js';
import { closeButton, notify, openDialog, statusButton } from '../dialogs.js';
import { code, errorBox, field, form, h, hint, pager, table, when } from '../dom.js';
import { revealingProblems, roleGrantFields } from './assign-role.js';

const PAGE = 25;
const INVITATION_STATUSES = [
  { value: 'pending', label: 'Pending' },
  { value: 'expired', label: 'Expired' },
  { value: 'accepted', label: 'Accepted' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'all', label: 'All' },
];

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const offsetOf = (query, key) => Math.max(0, Number.parseInt(query.get(key) ?? '0', 10) || 0);
/** Where the last page of `total` items starts. */
const lastPageOffset = (total) => Math.max(0, Math.floor((total - 1) / PAGE) * PAGE);

/**
 * A page of `path` at `offset`; when that page is empty but earlier ones are not (its last rows were
 * removed, here or elsewhere), the last page there is instead; the page says which offset it is at.
 */
export async function pageAt(path, query, offset) {
  for (;;) {
    const page = await api.get(path, { ...query, limit: PAGE, offset });
    if (page.items.length || offset === 0) return page;
    offset = Math.max(0, Math.min(offset - PAGE, lastPageOffset(page.total)));
  }
}

/** `#/users?…` with `changes` applied to the current query (empty values and zero offsets dropped). */
export function usersPath(query, changes) {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === '' || value === undefined || value === null || value === 0) next.delete(key);
    else next.set(key, String(value));
  }
  const search = next.toString();
  return search ? `/users?${search}` : '/users';
}

/** "Pending invitations" with a status filter; answers `{ node, reload }` so actions refresh it alone. */
export function invitationsPanel(ctx, query) {
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

export function inviteDialog(ctx, onSent) {
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
