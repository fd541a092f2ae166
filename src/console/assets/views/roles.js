// Roles (ROLE-1, ROLE-2, ROLE-6): the built-in roles, read-only, and the tenant's custom roles,
// which holders of `roles.manage` on the master define, change and delete.
import { api, getAll } from '../api.js';
import { closeButton, notify, openDialog, statusButton } from '../dialogs.js';
import { field, form, h, heading, hint, table, uid } from '../dom.js';

/** Friendly names for the permission groups (the part before the first dot). */
const GROUPS = {
  users: 'Users',
  roles: 'Roles',
  orgs: 'Organizations',
  environments: 'Environments',
  credentials: 'Client credentials',
  apps: 'Connected apps',
  idp: 'Identity providers',
  analytics: 'Analytics',
  audit: 'Audit log',
  'api-alerts': 'API alerts',
};

// The catalogue is fixed and the same for every organization: read it once per page load.
let catalogue;
function permissionCatalogue() {
  catalogue ??= api
    .get('/permissions')
    .then((answer) => answer.items)
    .catch((err) => {
      catalogue = undefined;
      throw err;
    });
  return catalogue;
}

const countOf = (n) => `${n} ${n === 1 ? 'permission' : 'permissions'}`;
const badge = (text) => h('span', { class: 'badge' }, text);

/** Groups catalogue entries by the part of their name before the first dot, in catalogue order. */
function grouped(permissions) {
  const groups = new Map();
  for (const p of permissions) {
    const key = p.name.split('.')[0];
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return groups;
}

function rolesTable(roles, caption, empty) {
  return table({
    caption,
    empty,
    rows: roles,
    columns: [
      {
        label: 'Role',
        cell: (r) => [
          h('a', { href: `#/roles/${encodeURIComponent(r.id)}` }, r.name),
          ' ',
          r.builtIn && badge('Built-in'),
        ],
      },
      { label: 'Description', cell: (r) => r.description || '—' },
      { label: 'Permissions', cell: (r) => String(r.permissions.length) },
    ],
  });
}

/**
 * The permission catalogue as checkboxes grouped by area. The wrapper carries `data-field` and the
 * error slot of dom.js `field()`, so the API's `permissions` problems land here, named by its legend.
 * Permissions the author does not hold on the master cannot go into a role (no escalation), so they
 * are offered disabled; ones the role already has stay checked and are kept.
 */
function permissionPicker(permissions, checked, held) {
  const id = uid('f');
  const chosen = new Set(checked);
  const groups = [...grouped(permissions)].map(([key, items]) =>
    h(
      'fieldset',
      { class: 'permission-group' },
      h('legend', null, GROUPS[key] ?? key),
      items.map((p) => permissionCheckbox(p, chosen.has(p.name), held.has(p.name))),
    ),
  );
  return h(
    'fieldset',
    {
      class: 'field permission-picker',
      'data-field': 'permissions',
      'aria-describedby': `${id}-hint ${id}-error`,
    },
    h('legend', null, 'Permissions'),
    h(
      'p',
      { class: 'hint', id: `${id}-hint` },
      'What holders of this role may do on the nodes it is assigned on. “Per environment” permissions may also be assigned on one environment of a node.',
    ),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
    h('div', { class: 'permission-groups' }, groups),
  );
}

function permissionCheckbox(permission, checked, held) {
  const id = uid('f');
  const notes = [`${permission.description}.`];
  if (!held) notes.push('You do not hold it, so you cannot add it to a role.');
  return h(
    'div',
    { class: 'field-checkbox permission-option' },
    h('input', {
      id,
      type: 'checkbox',
      name: 'permissions',
      value: permission.name,
      checked,
      disabled: !held && !checked,
      'aria-describedby': `${id}-hint`,
    }),
    h('label', { for: id }, permission.name),
    h(
      'p',
      { class: 'hint', id: `${id}-hint` },
      notes.join(' '),
      permission.environmentScopable && [' ', h('span', { class: 'badge' }, 'Per environment')],
    ),
  );
}

/** A taken name is a problem of the Name field: show it there too. */
function nameTaken(err) {
  if (err.code === 'role.name_taken') err.fields = [{ field: 'name', problem: 'is taken by another role' }];
  throw err;
}

/** The permissions ticked in a role form (formValues only knows one boolean per name). */
const checkedPermissions = (formEl) =>
  [...formEl.querySelectorAll('input[name="permissions"]:checked')].map((input) => input.value);

function roleFields(role, permissions, held) {
  return [
    field({
      label: 'Name',
      name: 'name',
      value: role?.name,
      required: true,
      maxlength: 128,
      autocomplete: 'off',
    }),
    field({
      label: 'Description',
      name: 'description',
      type: 'textarea',
      value: role?.description,
      rows: 2,
      maxlength: 1024,
      hint: 'Optional. Who this role is for, so others know when to assign it.',
    }),
    permissionPicker(permissions, role?.permissions ?? [], held),
  ];
}

/** What the signed-in person holds on the master: all a role they author may carry (ROLE-5). */
const heldOnMaster = (ctx) => new Set(ctx.nodes.get(ctx.masterId)?.permissions ?? []);

function openNewRole(ctx, permissions) {
  openDialog('New custom role', (close) =>
    form({
      fields: roleFields(undefined, permissions, heldOnMaster(ctx)),
      submit: 'Create role',
      secondary: closeButton(close),
      onSubmit: async (values, formEl) => {
        const role = await api
          .post('/roles', {
            name: values.name,
            description: values.description,
            permissions: checkedPermissions(formEl),
          })
          .catch(nameTaken);
        close();
        notify(`Role “${role.name}” created.`);
        ctx.go(`/roles/${role.id}`);
      },
    }),
  );
}

export async function rolesView(ctx) {
  const [roles, permissions] = await Promise.all([getAll('/roles'), permissionCatalogue()]);
  const manage = ctx.can('roles.manage');
  const custom = roles.filter((r) => !r.builtIn);
  const newButton =
    manage &&
    h(
      'button',
      { class: 'button', type: 'button', onclick: () => openNewRole(ctx, permissions) },
      'New custom role',
    );
  return [
    heading('Roles'),
    hint('A role is a set of permissions. People get roles on an organization node from the Users page.'),
    h(
      'section',
      { class: 'panel' },
      heading('Built-in roles', 2),
      hint('These come with Canopy and are read-only.'),
      rolesTable(
        roles.filter((r) => r.builtIn),
        'Built-in roles',
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('div', { class: 'panel-head' }, heading('Custom roles', 2), newButton),
      rolesTable(
        custom,
        'Custom roles',
        manage ? 'No custom roles yet. Define one with “New custom role”.' : 'No custom roles yet.',
      ),
    ),
  ];
}

function permissionList(role, permissions) {
  const described = new Map(permissions.map((p) => [p.name, p]));
  if (!role.permissions.length) return h('p', { class: 'empty' }, 'No permissions.');
  return h(
    'ul',
    { class: 'permission-list' },
    role.permissions.map((name) =>
      h(
        'li',
        null,
        h('code', { class: 'reference' }, name),
        ' — ',
        described.get(name)?.description ?? '',
        described.get(name)?.environmentScopable ? ' (can be limited to one environment)' : '',
      ),
    ),
  );
}

function editRoleForm(ctx, role, permissions) {
  const before = [...role.permissions].sort().join(' ');
  return form({
    fields: roleFields(role, permissions, heldOnMaster(ctx)),
    submit: 'Save changes',
    onSubmit: async (values, formEl) => {
      const chosen = checkedPermissions(formEl);
      const body = { name: values.name, description: values.description };
      // Sent only when changed: the whole list must be held by the editor, a rename need not be.
      if ([...chosen].sort().join(' ') !== before) body.permissions = chosen;
      await api.patch(`/roles/${encodeURIComponent(role.id)}`, body).catch(nameTaken);
      // The person may hold this role: what the console offers them follows its permissions (ROLE-6).
      if (body.permissions) await ctx.refresh().catch(() => undefined);
      notify('Role saved. The change applies to everyone holding it.');
      ctx.go(`/roles/${role.id}`); // renders it again, focus on its heading
    },
  });
}

/** "Delete role", with the API's refusal (the role is still assigned) kept beside the button. */
function deleteRole(ctx, role) {
  const status = h('div');
  const button = statusButton(
    'Delete role',
    async () => {
      await api.del(`/roles/${encodeURIComponent(role.id)}`).catch((err) => {
        const count = err.details?.assignments;
        if (count)
          err.message = `${err.message} (${count} ${count === 1 ? 'assignment' : 'assignments'}). Remove it from everyone who holds it first.`;
        throw err;
      });
      notify(`Role “${role.name}” deleted.`);
      ctx.go('/roles');
    },
    {
      status,
      secondary: false,
      danger: true,
      busyLabel: 'Deleting…',
      confirm: {
        title: 'Delete role?',
        message: `Delete the role “${role.name}”? This cannot be undone. A role that someone still holds cannot be deleted: remove its assignments first.`,
      },
    },
  );
  return h(
    'section',
    { class: 'panel' },
    heading('Delete role', 2),
    hint('Only a role nobody holds any more can be deleted.'),
    status,
    h('div', { class: 'actions' }, button),
  );
}

export async function roleView(ctx, { params }) {
  const [role, permissions] = await Promise.all([
    api.get(`/roles/${encodeURIComponent(params.roleId)}`),
    permissionCatalogue(),
  ]);
  const top = [
    heading(role.name),
    h(
      'p',
      null,
      badge(role.builtIn ? 'Built-in' : 'Custom role'),
      ' ',
      countOf(role.permissions.length),
      ' · ',
      h('a', { href: '#/roles' }, 'All roles'),
    ),
    role.description && h('p', null, role.description),
  ];
  if (role.builtIn || !ctx.can('roles.manage')) {
    return [
      ...top,
      role.builtIn && hint('Built-in roles come with Canopy and cannot be changed.'),
      h('section', { class: 'panel' }, heading('Permissions', 2), permissionList(role, permissions)),
    ];
  }
  return [
    ...top,
    h(
      'section',
      { class: 'panel' },
      heading('Edit role', 2),
      h(
        'p',
        { class: 'note' },
        'Changes apply at once to everyone who holds this role, wherever it is assigned. Access tokens already issued keep the permissions they were issued with until they expire.',
      ),
      editRoleForm(ctx, role, permissions),
    ),
    deleteRole(ctx, role),
  ];
}
