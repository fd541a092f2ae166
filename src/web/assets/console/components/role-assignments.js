// Role assignments (ROLE-3…ROLE-5): the panel listing one user's or one node's assignments, the
// dialog that assigns a role, and the role + node + environment + inherit fields the invitation
// dialog and an identity provider's group mappings reuse. Shared by the user page and the
// organization page.
import { api, getAll } from '../api.js';
import {
  closeButton,
  code,
  errorBox,
  field,
  form,
  h,
  hint,
  notify,
  openDialog,
  pager,
  statusButton,
  table,
  when,
} from '../dom.js';
import { environmentCache } from './environments-lookup.js';
import { mayLookUpUsers, userField, userFrom } from './users-lookup.js';

const PAGE = 25;
/** Where the last page of `total` items starts. */
const lastPageOffset = (total) => Math.max(0, Math.floor((total - 1) / PAGE) * PAGE);
const ADMINISTRATORS_KEY = 'organization-administrators';
const INHERIT_LABEL = 'Also applies to every business group below';

/**
 * What a panel or dialog looks up once: every role, and each node's environments (per node, on
 * first use). Kept per panel so a later visit sees environments created meanwhile.
 */
function lookups() {
  let roles;
  const environmentsOf = environmentCache();
  return {
    roles: () => (roles ??= getAll('/roles')),
    /** id → environment; empty when the node's environments cannot be read. */
    environments: async (orgId) => new Map((await environmentsOf(orgId)).map((e) => [e.id, e])),
  };
}

/** A node for people: its path, linked, or its id when the tree the person sees does not hold it. */
function nodeCell(ctx, orgId) {
  if (!ctx.nodes.has(orgId)) return code(orgId);
  return h('a', { href: `#/organizations/${encodeURIComponent(orgId)}` }, ctx.pathName(orgId));
}

/**
 * Wraps a form's `onSubmit` so that a problem shown on top of the form (one no field can show,
 * e.g. INV-4's refusal) is scrolled into view: in a tall dialog it would otherwise sit out of sight.
 */
export function revealingProblems(onSubmit) {
  return async (values, formEl) => {
    try {
      return await onSubmit(values, formEl);
    } catch (err) {
      setTimeout(() =>
        formEl.querySelector('.form-status [role=alert]')?.scrollIntoView({ block: 'nearest' }),
      );
      throw err;
    }
  };
}

/** After a change to the person's own roles, what the console offers follows them (ROLE-6). */
async function refreshIfSelf(ctx, userId) {
  if (userId === ctx.me.user?.id) await ctx.refresh().catch(() => undefined);
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

/** `{ value, label }` options of a node's environments, "Whole node" first. */
async function environmentOptions(look, orgId) {
  const envs = orgId ? [...(await look.environments(orgId)).values()] : [];
  return [{ value: '', label: 'Whole node' }, ...envs.map((e) => ({ value: e.id, label: e.name }))];
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map((o) => h('option', { value: o.value }, o.label)));
  select.value = options.some((o) => o.value === value) ? value : (options[0]?.value ?? '');
}

/**
 * The fields of one role grant: role, node, environment ("Whole node" or one of the node's
 * environments, reloaded when the node changes) and inherit. The node choices are the nodes
 * where the person holds `roles.assign`. Control names carry `prefix` so the API's field problems
 * (`roles.0.roleId`) land next to them.
 *
 * Options: `roles` (all roles; loaded when omitted), `orgId` (preselected node), `optional` (first
 * role option "No role"), `nodeLabel` ("Node"). Answers `{ fields, read(values), setNode(orgId) }`:
 * `read` gives `{ roleId, organizationId, environmentId, inherit }`, or null when no role is chosen;
 * `setNode` moves the node choice unless the person picked one themselves.
 */
export function roleGrantFields(
  ctx,
  { roles, orgId, optional = false, nodeLabel = 'Node', prefix = '', look = lookups() } = {},
) {
  const nodes = ctx.nodesWith('roles.assign');
  const initialNode = nodes.some((n) => n.id === orgId) ? orgId : nodes[0]?.id;
  const roleOptions = [
    optional ? { value: '', label: 'No role' } : { value: '', label: 'Choose a role…' },
    ...(roles ?? []).map((r) => ({ value: r.id, label: r.name })),
  ];
  const roleField = field({
    label: 'Role',
    name: `${prefix}roleId`,
    type: 'select',
    options: roleOptions,
    required: !optional,
  });
  const nodeField = field({
    label: nodeLabel,
    name: `${prefix}organizationId`,
    type: 'select',
    value: initialNode,
    options: nodes.map((n) => ({ value: n.id, label: ctx.pathName(n.id) })),
  });
  const envField = field({
    label: 'Environment',
    name: `${prefix}environmentId`,
    type: 'select',
    options: [{ value: '', label: 'Whole node' }],
    hint: 'An environment takes only the role’s environment-scoped permissions.',
  });
  const inheritField = field({
    label: INHERIT_LABEL,
    name: `${prefix}inherit`,
    type: 'checkbox',
    hint: 'Organization Administrators always applies below; an environment assignment never does.',
  });
  const roleSelect = roleField.querySelector('select');
  const nodeSelect = nodeField.querySelector('select');
  const envSelect = envField.querySelector('select');
  const inherit = inheritField.querySelector('input');
  let allRoles = roles ?? [];
  let nodeTouched = false;

  const isAdministrators = () => allRoles.find((r) => r.id === roleSelect.value)?.key === ADMINISTRATORS_KEY;
  // The API refuses inherit with an environment and always inherits Organization Administrators:
  // the checkbox shows what will happen instead of letting the request fail.
  const syncInherit = () => {
    if (isAdministrators()) {
      inherit.checked = true;
      inherit.disabled = true;
    } else if (envSelect.value) {
      inherit.checked = false;
      inherit.disabled = true;
    } else {
      inherit.disabled = false;
    }
  };
  const loadEnvironments = async () => {
    const wanted = nodeSelect.value;
    const options = await environmentOptions(look, wanted);
    if (nodeSelect.value !== wanted) return; // the node changed again meanwhile
    fillSelect(envSelect, options, envSelect.value);
    syncInherit();
  };
  roleSelect.addEventListener('change', syncInherit);
  envSelect.addEventListener('change', syncInherit);
  nodeSelect.addEventListener('change', () => {
    nodeTouched = true;
    void loadEnvironments();
  });
  void loadEnvironments();
  if (!roles) {
    look.roles().then((list) => {
      allRoles = list;
      fillSelect(
        roleSelect,
        [roleOptions[0], ...list.map((r) => ({ value: r.id, label: r.name }))],
        roleSelect.value,
      );
    });
  }

  return {
    fields: [roleField, nodeField, envField, inheritField],
    read(values) {
      const roleId = values[`${prefix}roleId`];
      if (!roleId) return null;
      const environmentId = values[`${prefix}environmentId`] || null;
      return {
        roleId,
        organizationId: values[`${prefix}organizationId`],
        environmentId,
        inherit: isAdministrators() || (!environmentId && Boolean(inherit.checked)),
      };
    },
    setNode(id) {
      if (nodeTouched || !nodes.some((n) => n.id === id) || nodeSelect.value === id) return;
      nodeSelect.value = id;
      void loadEnvironments();
    },
  };
}

/**
 * Opens the "Assign role" dialog: user (a username when `userId` is not given), role, node
 * (preselected `orgId`), environment and inherit; POST /role-assignments. `onDone(assignment)`
 * runs after success. `userLabel` (optional) names the given user in the dialog.
 */
export function assignRoleDialog(ctx, { userId, orgId, onDone, userLabel } = {}) {
  const look = lookups();
  const content = h('div', null, hint('Loading…'));
  const handle = openDialog('Assign role', (close) => {
    look
      .roles()
      .then((roles) => {
        content.replaceChildren(assignForm(ctx, { userId, orgId, onDone, userLabel, roles, look, close }));
        content.querySelector('input:not([type=hidden]),select')?.focus();
      })
      .catch((err) => content.replaceChildren(errorBox(err)));
    return content;
  });
  return handle;
}

function assignForm(ctx, { userId, orgId, onDone, userLabel, roles, look, close }) {
  if (!ctx.nodesWith('roles.assign').length) return hint('You cannot assign roles on any node.');
  const grant = roleGrantFields(ctx, { roles, orgId, look });
  const who = userId
    ? h('p', null, 'User: ', h('strong', null, userLabel ?? userId))
    : userField(ctx, {
        name: 'userId',
        labels: { username: 'Username' },
        hint: mayLookUpUsers(ctx) ? 'The exact username of someone in this organization.' : undefined,
        required: true,
      });
  return form({
    fields: [who, ...grant.fields],
    submit: 'Assign role',
    secondary: closeButton(close),
    onSubmit: revealingProblems(async (values) => {
      const chosen = grant.read(values);
      if (!chosen) throw { message: 'Choose a role.', fields: [{ field: 'roleId', problem: 'is required' }] };
      const user = userId
        ? { id: userId }
        : await userFrom(ctx, values.userId, { name: 'userId', required: true });
      const created = await api.post('/role-assignments', { userId: user.id, ...chosen });
      await refreshIfSelf(ctx, user.id);
      close(); // first: a notice given while the dialog is open would go away with it
      notify(
        `${roles.find((r) => r.id === chosen.roleId)?.name ?? 'Role'} assigned on ${ctx.pathName(chosen.organizationId)}.`,
      );
      onDone?.(created);
    }),
  });
}
