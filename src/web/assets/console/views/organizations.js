// The organization page: the tree the person may see (ORG-10) beside one node, with everything
// they may do there — settings, owner, entitlements, properties, business groups, environments,
// credentials and role assignments.
import { api } from '../api.js';
import { rememberOrg } from '../auth.js';
import { environmentsPanel, nodeCredentialsPanel } from '../components/environments.js';
import { localAccountsPanel } from '../components/local-accounts.js';
import { assignmentsPanel } from '../components/role-assignments.js';
import {
  actionButton,
  code,
  field,
  form,
  h,
  heading,
  hint,
  notify,
  openDialog,
  section,
  when,
} from '../dom.js';

export async function organizationsView(ctx, { params }) {
  const orgId = params.orgId ?? ctx.ordered[0]?.id;
  if (!orgId) return noRolesYet(ctx);
  if (ctx.nodes.get(orgId)?.access !== 'member') {
    return [heading('Organization'), treeNav(ctx, undefined), hint('You hold no role on that node.')];
  }
  const org = await api.get(`/organizations/${orgId}`);
  const panels = h('div', { class: 'org-node' }, await nodePanels(ctx, org));
  panels.prepend(sectionIndex(panels));
  return [heading(org.name), h('div', { class: 'org-layout' }, treeNav(ctx, orgId), panels)];
}

/** A node's page is long: an index of its sections, each entry moving focus to that heading. */
function sectionIndex(container) {
  const headings = [...container.querySelectorAll('section.panel > h2, section.panel > .panel-head > h2')];
  if (headings.length < 4) return null;
  const jump = (target) => {
    target.setAttribute('tabindex', '-1');
    target.focus();
    target.scrollIntoView({ block: 'start' });
  };
  return h(
    'nav',
    { class: 'section-index', 'aria-label': 'On this page' },
    h(
      'ul',
      null,
      headings.map((target) =>
        h(
          'li',
          null,
          h(
            'button',
            { class: 'link-button', type: 'button', onclick: () => jump(target) },
            target.textContent,
          ),
        ),
      ),
    ),
  );
}

/** USR-4: someone without any role sees their own profile and nothing else. */
function noRolesYet(ctx) {
  const user = ctx.me.user ?? {};
  return [
    heading('Welcome to Canopy'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Name'),
      h('dd', null, user.name ?? ''),
      h('dt', null, 'Username'),
      h('dd', null, user.username ?? ''),
      h('dt', null, 'Email'),
      h('dd', null, user.email ?? ''),
      h('dt', null, 'Organization'),
      h('dd', null, ctx.me.organization.name),
    ),
    hint('You hold no role yet. An administrator of your organization can grant you one.'),
  ];
}

/** The tree: member nodes are links, ancestors kept only to connect it are plain names. */
function treeNav(ctx, currentId) {
  const { children } = ctx.tree;
  const branch = (parentId) => {
    const kids = children.get(parentId) ?? [];
    if (!kids.length) return null;
    return h(
      'ul',
      null,
      kids.map((n) =>
        h(
          'li',
          null,
          n.access === 'member'
            ? h(
                'a',
                { href: `#/organizations/${n.id}`, 'aria-current': n.id === currentId ? 'page' : undefined },
                n.name,
              )
            : h(
                'span',
                { class: 'tree-ancestor' },
                n.name,
                h('span', { class: 'visually-hidden' }, ' (no access)'),
              ),
          branch(n.id),
        ),
      ),
    );
  };
  return h('nav', { class: 'tree', 'aria-label': 'Organization tree' }, branch(null));
}

async function nodePanels(ctx, org) {
  const can = (permission, id = org.id) => ctx.can(permission, id);
  return [
    factsPanel(ctx, org, await ownerLabel(ctx, org.ownerUserId)),
    org.isMaster ? masterSettingsPanel(ctx, org) : can('orgs.settings.manage') && renamePanel(ctx, org),
    org.isMaster && can('idp.manage') && (await localAccountsPanel(ctx)),
    !org.isMaster && entitlementsPanel(ctx, org),
    propertiesPanel(ctx, org),
    businessGroupsPanel(ctx, org),
    await environmentsPanel(ctx, org),
    await nodeCredentialsPanel(ctx, org),
    can('roles.assign') && (await assignmentsPanel(ctx, { orgId: org.id })),
    deletePanel(ctx, org),
  ];
}

async function ownerLabel(ctx, userId) {
  if (userId === ctx.me.user?.id) return `${ctx.me.user.name} (you)`;
  if (!ctx.can('users.manage')) return userId; // reading other users needs users.manage on the master
  try {
    const user = await api.get(`/users/${userId}`);
    return `${user.name} (${user.username})`;
  } catch {
    return userId;
  }
}

function factsPanel(ctx, org, owner) {
  const links = [
    ctx.can('audit.view', org.id) && h('a', { href: `#/audit?org=${org.id}` }, 'Audit log of this node'),
    ctx.can('analytics.view', org.id) &&
      h('a', { href: `#/analytics?org=${org.id}` }, 'Analytics of this node'),
  ].filter(Boolean);
  return h(
    'section',
    { class: 'panel' },
    h('p', null, h('span', { class: 'badge' }, org.isMaster ? 'Master organization' : 'Business group')),
    h(
      'dl',
      { class: 'facts' },
      org.isMaster && [
        h('dt', null, 'Domain'),
        h('dd', null, code(org.domain)),
        h('dt', null, 'Sign-in address'),
        h('dd', null, code(`${window.location.origin}/login/${org.domain}`)),
      ],
      !org.isMaster && [h('dt', null, 'Parent'), h('dd', null, ctx.pathName(org.parentId))],
      h('dt', null, 'Owner'),
      h('dd', null, owner, ' ', ctx.can('orgs.owner.assign', org.id) && ownerButton(ctx, org)),
      h('dt', null, 'Client ID'),
      h('dd', null, code(org.clientId)),
      h('dt', null, 'Created'),
      h('dd', null, when(org.createdAt)),
    ),
    links.length > 0 && h('p', { class: 'row-actions' }, links),
  );
}

/** Finds one user of the organization by exact username (case-insensitive). */
async function userByUsername(username) {
  const wanted = String(username ?? '')
    .trim()
    .toLowerCase();
  const page = await api.get('/users', { search: wanted, limit: 50 });
  const user = page.items.find((u) => u.username.toLowerCase() === wanted);
  if (!user)
    throw {
      message: 'No such user.',
      fields: [{ field: 'username', problem: 'names no user of your organization' }],
    };
  return user;
}

function ownerButton(ctx, org) {
  const open = () =>
    openDialog('Change owner', (close) => [
      hint(
        'The new owner must hold Organization Administrators on this node, directly or inherited (ORG-4).',
      ),
      form({
        fields: [
          field({
            label: 'Username of the new owner',
            name: 'username',
            required: true,
            autocomplete: 'off',
          }),
        ],
        submit: 'Change owner',
        onSubmit: async ({ username }) => {
          const user = await userByUsername(username);
          await api.put(`/organizations/${org.id}/owner`, { ownerUserId: user.id });
          close();
          notify(`${user.name} now owns ${org.name}.`);
          ctx.rerender();
        },
      }),
    ]);
  return h(
    'button',
    { class: 'button button-secondary button-small', type: 'button', onclick: open },
    'Change owner',
  );
}

function masterSettingsPanel(ctx, org) {
  const editable = ctx.can('orgs.settings.manage', org.id);
  const settings = form({
    fields: [
      field({ label: 'Name', name: 'name', value: org.name, required: true, disabled: !editable }),
      field({
        label: 'Domain',
        name: 'domain',
        value: org.domain,
        required: true,
        disabled: !editable,
        hint: 'Your sign-in address is /login/<domain>. After a change, the old address stops working.',
      }),
      field({
        label: 'Session timeout (minutes)',
        name: 'sessionTimeoutMinutes',
        type: 'number',
        value: org.sessionTimeoutMinutes,
        inputmode: 'numeric',
        disabled: !editable,
        hint: 'From 15 to 180. People are signed out after this long without activity, in every business group.',
      }),
      field({
        label: 'Absolute session lifetime (minutes)',
        name: 'sessionMaxMinutes',
        type: 'number',
        value: org.sessionMaxMinutes,
        inputmode: 'numeric',
        disabled: !editable,
        hint: 'However active they are, people sign in again after this long.',
      }),
    ],
    submit: 'Save settings',
    onSubmit: async (values) => {
      const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== org[k]));
      if (Object.keys(changes).length === 0) return notify('Nothing to save: no setting changed.');
      const saved = await api.patch(`/organizations/${org.id}`, changes);
      if (saved.domain !== org.domain) rememberOrg(saved.domain);
      notify('Settings saved.');
      await ctx.refresh();
      ctx.rerender();
    },
  });
  if (!editable) settings.querySelector('[type=submit]').hidden = true;
  return section('Master organization settings', settings);
}

function renamePanel(ctx, org) {
  return section(
    'Name',
    form({
      className: 'inline-form',
      fields: [field({ label: 'Name', name: 'name', value: org.name, required: true })],
      submit: 'Rename',
      onSubmit: async ({ name }) => {
        await api.patch(`/organizations/${org.id}`, { name });
        notify('Renamed.');
        await ctx.refresh();
        ctx.rerender();
      },
    }),
  );
}

const ENTITLEMENTS = [
  { name: 'createSubOrgs', label: 'May create business groups below it' },
  { name: 'createEnvironments', label: 'May create environments' },
];

/** ORG-7: set by holders of orgs.properties.manage on the parent, never beyond the parent's own. */
function entitlementsPanel(ctx, org) {
  const editable = ctx.can('orgs.properties.manage', org.parentId);
  const fields = ENTITLEMENTS.map((e) =>
    field({
      label: e.label,
      name: e.name,
      type: 'checkbox',
      value: org.entitlements[e.name],
      disabled: !editable,
    }),
  );
  if (!editable) {
    return section('Entitlements', fields, hint('Administrators of the parent node set these.'));
  }
  return section(
    'Entitlements',
    form({
      fields,
      submit: 'Save entitlements',
      onSubmit: async (values) => {
        await api.put(`/organizations/${org.id}/entitlements`, values);
        notify('Entitlements saved.');
        ctx.rerender();
      },
    }),
  );
}

/** ORG-7 free-form properties: string values edit as text; other JSON values as JSON. */
function propertiesPanel(ctx, org) {
  const editable = ctx.can('orgs.properties.manage', org.id);
  const entries = Object.entries(org.properties ?? {});
  if (!editable) {
    return section(
      'Properties',
      entries.length
        ? h(
            'dl',
            { class: 'facts' },
            entries.map(([k, v]) => [
              h('dt', null, k),
              h('dd', null, typeof v === 'string' ? v : JSON.stringify(v)),
            ]),
          )
        : hint('No properties.'),
    );
  }
  const rows = h(
    'div',
    { class: 'stack', 'data-field': 'properties' },
    h('p', { class: 'field-error', hidden: true }),
  );
  const addRow = (key = '', value = '') => {
    const json = typeof value !== 'string';
    const row = h(
      'div',
      { class: 'inline-form property-row' },
      field({ label: 'Property', name: '', value: key, class: 'property-key', maxlength: 128 }),
      field({
        label: json ? 'Value (JSON)' : 'Value',
        name: '',
        value: json ? JSON.stringify(value) : value,
        class: 'property-value',
        'data-json': json ? 'true' : undefined,
      }),
      h(
        'button',
        { class: 'button button-secondary button-small', type: 'button', onclick: () => row.remove() },
        'Remove',
      ),
    );
    rows.append(row);
  };
  for (const [k, v] of entries) addRow(k, v);
  const editor = form({
    fields: [
      rows,
      h(
        'button',
        { class: 'button button-secondary button-small', type: 'button', onclick: () => addRow() },
        'Add property',
      ),
    ],
    submit: 'Save properties',
    onSubmit: async (_values, formEl) => {
      const properties = {};
      for (const row of formEl.querySelectorAll('.property-row')) {
        const key = row.querySelector('.property-key').value.trim();
        const input = row.querySelector('.property-value');
        if (!key) continue;
        properties[key] = input.dataset.json ? parseJson(input.value, key) : input.value;
      }
      await api.put(`/organizations/${org.id}/properties`, properties);
      notify('Properties saved.');
      ctx.rerender();
    },
  });
  return section(
    'Properties',
    hint('Free-form values your apps can read: at most 50, each up to 1 KiB.'),
    editor,
  );
}

function parseJson(text, key) {
  try {
    return JSON.parse(text);
  } catch {
    throw { message: `The value of ${key} is not valid JSON.`, fields: [] };
  }
}

function businessGroupsPanel(ctx, org) {
  const children = ctx.tree.children.get(org.id) ?? [];
  const mayCreate = ctx.can('orgs.create', org.id) && (org.isMaster || org.entitlements.createSubOrgs);
  return h(
    'section',
    { class: 'panel' },
    h(
      'div',
      { class: 'panel-head' },
      heading('Business groups', 2),
      mayCreate &&
        h(
          'button',
          { class: 'button', type: 'button', onclick: () => newBusinessGroup(ctx, org) },
          'New business group',
        ),
    ),
    children.length
      ? h(
          'ul',
          null,
          children.map((c) =>
            h(
              'li',
              null,
              c.access === 'member' ? h('a', { href: `#/organizations/${c.id}` }, c.name) : c.name,
            ),
          ),
        )
      : hint('No business groups below this node.'),
    ctx.can('orgs.create', org.id) &&
      !mayCreate &&
      hint(
        'This business group may not have business groups below it (its createSubOrgs entitlement is off).',
      ),
  );
}

function newBusinessGroup(ctx, org) {
  const canSetEntitlements = ctx.can('orgs.properties.manage', org.id);
  openDialog(`New business group in ${org.name}`, (close) =>
    form({
      fields: [
        field({ label: 'Name', name: 'name', required: true, autocomplete: 'off' }),
        field({
          label: 'Owner’s username',
          name: 'ownerUsername',
          autocomplete: 'off',
          hint: 'Leave empty to own it yourself. The owner must be an Organization Administrator of it (ORG-4).',
        }),
        canSetEntitlements &&
          ENTITLEMENTS.map((e) => field({ label: e.label, name: e.name, type: 'checkbox', value: true })),
      ],
      submit: 'Create business group',
      onSubmit: async (values) => {
        const body = { name: values.name };
        if (values.ownerUsername?.trim()) {
          const owner = await userByUsername(values.ownerUsername).catch((err) => {
            throw {
              ...err,
              fields: [{ field: 'ownerUsername', problem: 'names no user of your organization' }],
            };
          });
          body.ownerUserId = owner.id;
        }
        if (canSetEntitlements)
          body.entitlements = {
            createSubOrgs: values.createSubOrgs,
            createEnvironments: values.createEnvironments,
          };
        const created = await api.post(`/organizations/${org.id}/business-groups`, body);
        close();
        notify(`${created.name} created.`);
        await ctx.refresh();
        ctx.go(`/organizations/${created.id}`);
      },
    }),
  );
}

function deletePanel(ctx, org) {
  if (org.isMaster || !ctx.can('orgs.delete', org.id)) return null;
  return section(
    'Delete this business group',
    hint(
      'Its environments, credentials, role assignments and pending invitations go with it. Delete its business groups first.',
    ),
    actionButton(
      'Delete business group',
      async () => {
        await api.del(`/organizations/${org.id}`);
        notify(`${org.name} deleted.`);
        await ctx.refresh();
        ctx.go(`/organizations/${org.parentId}`);
      },
      {
        danger: true,
        confirm: {
          title: `Delete ${org.name}?`,
          message: 'This cannot be undone.',
          confirmLabel: 'Delete business group',
        },
      },
    ),
  );
}
