// Role assignments (ROLE-3…ROLE-5): the panel listing one user's or one node's assignments, with
// removal; assigning opens the dialog in assign-role.js. Shared by the user page and the
// organization page.
import { api } from '../api.js';
import { notify, statusButton } from '../dialogs.js';
import { code, errorBox, h, hint, pager, table, when } from '../dom.js';
import { assignRoleDialog, lookups, refreshIfSelf } from './assign-role.js';

const PAGE = 25;
/** Where the last page of `total` items starts. */
const lastPageOffset = (total) => Math.max(0, Math.floor((total - 1) / PAGE) * PAGE);

/** A node for people: its path, linked, or its id when the tree the person sees does not hold it. */
function nodeCell(ctx, orgId) {
  if (!ctx.nodes.has(orgId)) return code(orgId);
  return h('a', { href: `#/organizations/${encodeURIComponent(orgId)}` }, ctx.pathName(orgId));
}

/** `manual`, `invitation`, `idp:<id>` (FED-4) → words; anything newer as it is. */
function sourceText(source) {
  if (source === 'manual') return 'Manual';
  if (source === 'invitation') return 'From invitation';
  if (source.startsWith('idp:')) return 'From identity provider';
  return source;
}

/**
 * The panel "Role assignments" for one user (`{ userId }`) or for one node (`{ orgId }`), paged,
 * with "Remove" on each assignment the person may remove and an "Assign role" button. For a node
 * it is only offered to holders of `roles.assign` there: otherwise it answers an empty fragment.
 * Answers a Node at once and fills it as the API answers. `userLabel` (optional) names the user.
 */
export function assignmentsPanel(ctx, { userId, orgId, userLabel }) {
  if (!userId && !ctx.can('roles.assign', orgId)) return document.createDocumentFragment();
  const look = lookups();
  const users = new Map();
  const title = h('h2', { tabindex: '-1' }, 'Role assignments');
  const status = h('div', { class: 'form-status' });
  const body = h('div', null, hint('Loading…'));
  const mayAssign = userId ? ctx.nodesWith('roles.assign').length > 0 : ctx.can('roles.assign', orgId);
  let offset = 0;
  let latest = 0; // the number of the newest reload: an older answer that arrives late is dropped

  const reload = async () => {
    const mine = ++latest;
    let content;
    try {
      content = await render(() => mine !== latest);
    } catch (err) {
      content = [errorBox(err)];
    }
    if (mine === latest && content) body.replaceChildren(...content.filter(Boolean));
  };

  const assign = mayAssign ? h('button', { class: 'button', type: 'button' }, 'Assign role') : null;
  assign?.addEventListener('click', () =>
    assignRoleDialog(ctx, {
      userId,
      orgId,
      userLabel,
      onDone: () => {
        offset = 0;
        void reload();
      },
    }),
  );

  async function userCell(id) {
    if (!users.has(id)) {
      const self = ctx.me.user?.id === id ? ctx.me.user : undefined;
      users.set(
        id,
        self
          ? Promise.resolve(self)
          : ctx.can('users.manage')
            ? api.get(`/users/${encodeURIComponent(id)}`).catch(() => undefined)
            : Promise.resolve(undefined),
      );
    }
    const user = await users.get(id);
    if (!user) return { name: 'this user', node: code(id) };
    const gone = user.status && user.status !== 'active' ? ` — ${user.status}` : '';
    const label = `${user.name} (${user.username})${gone}`;
    const node = ctx.can('users.manage')
      ? h('a', { href: `#/users/${encodeURIComponent(id)}` }, label)
      : label;
    return { name: user.name, node };
  }

  async function environmentCell(a) {
    if (!a.environmentId) return 'Whole node';
    const env = (await look.environments(a.organizationId)).get(a.environmentId);
    return env ? env.name : code(a.environmentId);
  }

  function removeButton(a, roleName, who) {
    if (!ctx.can('roles.assign', a.organizationId)) return '';
    const fromIdp = a.source.startsWith('idp:');
    const message =
      `Remove ${roleName} on ${ctx.pathName(a.organizationId)} from ${who}? It stops applying at once.` +
      (fromIdp ? ' It came from the identity provider, which may grant it again at the next sign-in.' : '');
    // A refusal (for example ORG-5's, for the owner) shows above the table.
    return statusButton(
      'Remove',
      async () => {
        await api.del(`/role-assignments/${encodeURIComponent(a.id)}`);
        notify(`${roleName} removed.`);
        await refreshIfSelf(ctx, a.userId);
        await reload();
        title.focus();
      },
      { status, danger: true, confirm: { title: 'Remove role assignment', message } },
    );
  }

  /** One page of assignments; when the last rows of a page went (removed here or elsewhere), the last page left. */
  async function readPage(stale) {
    const path = userId
      ? `/users/${encodeURIComponent(userId)}/role-assignments`
      : `/organizations/${encodeURIComponent(orgId)}/role-assignments`;
    for (;;) {
      const page = await api.get(path, { limit: PAGE, offset });
      if (page.items.length || offset === 0 || stale()) return page;
      offset = Math.max(0, Math.min(offset - PAGE, lastPageOffset(page.total)));
    }
  }

  /** The table and pager, or undefined when a newer reload has begun (`stale()`). */
  async function render(stale) {
    const [page, roles] = await Promise.all([readPage(stale), look.roles()]);
    if (stale()) return undefined;
    const roleNames = new Map(roles.map((r) => [r.id, r.name]));
    const rows = await Promise.all(
      page.items.map(async (a) => ({
        a,
        role: roleNames.get(a.roleId) ?? a.roleId,
        user: userId ? undefined : await userCell(a.userId),
        environment: await environmentCell(a),
      })),
    );
    const who = (row) => (userId ? (userLabel ?? 'this user') : row.user.name);
    const columns = [
      { label: 'Role', cell: (r) => r.role },
      userId
        ? { label: 'Node', cell: (r) => nodeCell(ctx, r.a.organizationId) }
        : { label: 'User', cell: (r) => r.user.node },
      { label: 'Environment', cell: (r) => r.environment },
      { label: 'Applies to', cell: (r) => (r.a.inherit ? 'This node and below' : 'This node only') },
      { label: 'Source', cell: (r) => sourceText(r.a.source) },
      { label: 'Assigned', cell: (r) => when(r.a.createdAt) },
      // Only a column of buttons the person may press: someone reading their own roles sees none.
      rows.some((r) => ctx.can('roles.assign', r.a.organizationId)) && {
        label: 'Actions',
        cell: (r) => removeButton(r.a, r.role, who(r)),
      },
    ].filter(Boolean);
    return [
      table({
        caption: 'Role assignments',
        columns,
        rows,
        empty: userId ? 'This user holds no role.' : 'Nobody holds a role on this node itself.',
      }),
      pager(page, (next) => {
        offset = next;
        void reload();
      }),
    ];
  }

  void reload();
  return h(
    'section',
    { class: 'panel' },
    h('div', { class: 'panel-head' }, title, assign),
    orgId ? hint('Assignments inherited from nodes above are listed on those nodes.') : null,
    status,
    body,
  );
}
