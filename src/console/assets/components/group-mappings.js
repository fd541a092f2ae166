// Group mappings of an identity provider (FED-4): each turns a group, exactly as the provider sends
// it, into a role on a node (optionally one environment of it). At every sign-in through the provider
// the roles its mappings granted follow the person's groups.
import { api, getAll } from '../api.js';
import { closeButton, notify, openDialog, statusButton } from '../dialogs.js';
import { code, errorBox, field, form, h, heading, hint, section, table } from '../dom.js';
import { roleGrantFields } from './assign-role.js';
import { environmentsOf } from './environments-lookup.js';

const mappingsPath = (provider) => `/identity-providers/${encodeURIComponent(provider.id)}/group-mappings`;

/** Environment names of the nodes `orgIds`, as id → name; a node whose list fails is left out. */
async function environmentNames(orgIds) {
  const lists = await Promise.all([...new Set(orgIds)].map(environmentsOf));
  return new Map(lists.flat().map((e) => [e.id, e.name]));
}

/** The panel "Group mappings" of a provider's page, with "Add group mapping" and "Remove". */
export async function mappingsSection(ctx, provider) {
  const base = mappingsPath(provider);
  let groupMappings;
  let roles;
  try {
    [{ groupMappings }, roles] = await Promise.all([api.get(base), getAll('/roles')]);
  } catch (err) {
    return section('Group mappings', errorBox(err));
  }
  const roleNames = new Map(roles.map((r) => [r.id, r.name]));
  const envNames = await environmentNames(
    groupMappings.filter((m) => m.environmentId).map((m) => m.organizationId),
  );
  // The node choices are those where the person may assign roles (roleGrantFields offers them).
  const add =
    ctx.can('idp.manage') &&
    ctx.nodesWith('roles.assign').length > 0 &&
    h(
      'button',
      { class: 'button', type: 'button', onclick: () => addMapping(ctx, provider, roles) },
      'Add group mapping',
    );
  const remove = (m) => {
    const what = `“${m.group}” → ${roleNames.get(m.roleId) ?? 'a role'} on ${ctx.pathName(m.organizationId)}`;
    return statusButton(
      'Remove',
      async () => {
        await api.del(`${base}/${encodeURIComponent(m.id)}`);
        notify(`The mapping of “${m.group}” is removed.`);
        ctx.rerender();
      },
      {
        danger: true,
        busyLabel: 'Removing…',
        confirm: {
          title: 'Remove this group mapping?',
          message: `${what}. People who got the role through it lose it at their next sign-in through ${provider.name}.`,
        },
      },
    );
  };
  return h(
    'section',
    { class: 'panel' },
    h('div', { class: 'panel-head' }, heading('Group mappings', 2), add),
    hint(
      'Each mapping turns a group, exactly as the provider sends it, into a role. At every sign-in through this ' +
        'provider the roles mappings granted follow the person’s current groups; roles given by hand are never touched.',
    ),
    table({
      caption: 'Group mappings',
      columns: [
        { label: 'Group', cell: (m) => code(m.group) },
        { label: 'Role', cell: (m) => roleNames.get(m.roleId) ?? m.roleId },
        { label: 'Node', cell: (m) => ctx.pathName(m.organizationId) },
        {
          label: 'Environment',
          cell: (m) => (m.environmentId ? (envNames.get(m.environmentId) ?? m.environmentId) : 'Whole node'),
        },
        { label: 'Also below', cell: (m) => (m.inherit ? 'Yes' : 'No') },
        {
          label: 'Actions',
          cell: (m) =>
            ctx.can('roles.assign', m.organizationId) ? h('div', { class: 'row-actions' }, remove(m)) : '',
        },
      ],
      rows: groupMappings,
      empty: 'No group mappings yet: people who sign in through this provider get no role from their groups.',
    }),
  );
}

function addMapping(ctx, provider, roles) {
  openDialog('Add group mapping', (close) => {
    // The same role, node, environment and inherit rules as a role assignment (ROLE-3, ROLE-5).
    const grant = roleGrantFields(ctx, { roles });
    return form({
      fields: [
        field({
          label: 'Group name',
          name: 'group',
          required: true,
          spellcheck: 'false',
          hint: 'Exactly as the provider sends it (letter case counts).',
        }),
        ...grant.fields,
      ],
      submit: 'Add mapping',
      secondary: closeButton(close),
      onSubmit: async (v) => {
        const chosen = grant.read(v);
        if (!chosen)
          throw { message: 'Choose a role.', fields: [{ field: 'roleId', problem: 'is required' }] };
        await api.post(mappingsPath(provider), { group: v.group, ...chosen });
        close();
        const role = roles.find((r) => r.id === chosen.roleId)?.name ?? 'the role';
        notify(`“${v.group}” now maps to ${role} on ${ctx.pathName(chosen.organizationId)}.`);
        ctx.rerender();
      },
    });
  });
}
