// The organization page: the tree the person may see (ORG-10) beside one node, with everything
// they may do there — settings, owner, entitlements, properties, business groups, environments,
// credentials and role assignments.
import { api } from '../api.js';
import { rememberOrg } from '../auth.js';
import { environmentsPanel, nodeCredentialsPanel } from '../components/environments.js';
import { localAccountsPanel } from '../components/local-accounts.js';
import { assignmentsPanel } from '../components/role-assignments.js';
import { userField, userFrom } from '../components/users-lookup.js';
import {
  actionButton,
  closeButton,
  code,
  confirmAction,
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

/** `/organizations/<id>` and below, with the id escaped like every other path of the console. */
const orgPath = (...parts) => `/organizations/${parts.map(encodeURIComponent).join('/')}`;
const orgHash = (orgId) => `#/organizations/${encodeURIComponent(orgId)}`;

export async function organizationsView(ctx, { params }) {
  const orgId = params.orgId ?? ctx.ordered[0]?.id;
  if (!orgId) return noRolesYet(ctx);
  if (ctx.nodes.get(orgId)?.access !== 'member') {
    return [heading('Organization'), treeNav(ctx, undefined), hint('You hold no role on that node.')];
  }
  const org = await api.get(orgPath(orgId));
  const panels = h('div', { class: 'org-node' }, await nodePanels(ctx, org));
  panels.prepend(sectionIndex(panels));
  return [heading(org.name), h('div', { class: 'org-layout' }, treeNav(ctx, orgId), panels)];
}

/** A node's page is long: an index of its sections, each entry moving focus to that heading. */
function sectionIndex(container) {
  const PANEL_HEADINGS = 'section.panel > h2, section.panel > .panel-head > h2';
  const titles = [...container.querySelectorAll(PANEL_HEADINGS)].map((title) => title.textContent);
  if (titles.length < 4) return null;
  // Looked up when used: a panel saved since was rebuilt, with a heading of its own.
  const jump = (text) => {
    const target = [...container.querySelectorAll(PANEL_HEADINGS)].find((t) => t.textContent === text);
    target?.setAttribute('tabindex', '-1');
    target?.focus();
    target?.scrollIntoView({ block: 'start' });
  };
  return h(
    'nav',
    { class: 'section-index', 'aria-label': 'On this page' },
    h(
      'ul',
      null,
      titles.map((text) =>
        h('li', null, h('button', { class: 'link-button', type: 'button', onclick: () => jump(text) }, text)),
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
            ? h('a', { href: orgHash(n.id), 'aria-current': n.id === currentId ? 'page' : undefined }, n.name)
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
    !org.isMaster && (await entitlementsPanel(ctx, org)),
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
    const user = await api.get(`/users/${encodeURIComponent(userId)}`);
    return `${user.name} (${user.username})`;
  } catch {
    return userId;
  }
}

function factsPanel(ctx, org, owner) {
  const on = (permission) => ctx.nodesWithAny(permission).some((n) => n.id === org.id);
  const query = new URLSearchParams({ org: org.id });
  const links = [
    on('audit.view') && h('a', { href: `#/audit?${query}` }, 'Audit log of this node'),
    on('analytics.view') && h('a', { href: `#/analytics?${query}` }, 'Analytics of this node'),
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

function ownerButton(ctx, org) {
  const open = () =>
    // One element: openDialog appends what it is given as it is, and an array would become text.
    openDialog('Change owner', (close) =>
      h(
        'div',
        null,
        hint(
          'The new owner must hold Organization Administrators on this node, directly or inherited (ORG-4).',
        ),
        form({
          fields: [
            userField(ctx, {
              name: 'ownerUserId',
              labels: { username: 'Username of the new owner', id: 'User id of the new owner' },
              required: true,
            }),
          ],
          submit: 'Change owner',
          secondary: closeButton(close),
          onSubmit: async ({ ownerUserId }) => {
            const user = await userFrom(ctx, ownerUserId, { name: 'ownerUserId', required: true });
            await api.put(orgPath(org.id, 'owner'), { ownerUserId: user.id });
            close();
            notify(user.name ? `${user.name} now owns ${org.name}.` : `${org.name} has a new owner.`);
            ctx.rerender();
          },
        }),
      ),
    );
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
    onSubmit: async (values, formEl) => {
      const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== org[k]));
      if (Object.keys(changes).length === 0) return notify('Nothing to save: no setting changed.');
      if (changes.domain && !(await domainChangeConfirmed(org.domain, changes.domain))) {
        formEl.querySelector('[name=domain]')?.focus(); // the submit button is busy until this returns
        return;
      }
      const saved = await api.patch(orgPath(org.id), changes);
      if (saved.domain !== org.domain) rememberOrg(saved.domain);
      notify('Settings saved.');
      await ctx.refresh();
      ctx.rerender();
    },
  });
  if (!editable) settings.querySelector('[type=submit]').hidden = true;
  return section('Master organization settings', settings);
}

/** ORG-3: the old sign-in address stops working at once, so a new domain is confirmed first. */
function domainChangeConfirmed(before, after) {
  return confirmAction(
    'Change the sign-in address?',
    `The old address /login/${before} stops working at once: bookmarks, links in invitations already sent and ` +
      `identity-provider tiles that use it break. The new address is /login/${after}.`,
    'Change domain',
  );
}

function renamePanel(ctx, org) {
  return section(
    'Name',
    form({
      className: 'inline-form',
      fields: [field({ label: 'Name', name: 'name', value: org.name, required: true })],
      submit: 'Rename',
      onSubmit: async ({ name }) => {
        await api.patch(orgPath(org.id), { name });
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

/** What a node may pass on to the business groups below it (ORG-7): the master has every entitlement. */
const entitlementsOf = (org) =>
  org.isMaster ? { createSubOrgs: true, createEnvironments: true } : org.entitlements;

/**
 * The entitlement checkboxes, `values` ticked. ORG-7: a group may only have what its parent has, so
 * with the parent's entitlements (`parent`, when known) the ones it lacks are offered disabled.
 */
function entitlementFields(values, { parent, parentName, disabled = false }) {
  return ENTITLEMENTS.map((e) => {
    const lacking = Boolean(parent) && !parent[e.name];
    return field({
      label: e.label,
      name: e.name,
      type: 'checkbox',
      value: values[e.name],
      disabled: disabled || lacking,
      hint: lacking
        ? `${parentName} does not have this entitlement, so no business group below it can.`
        : undefined,
    });
  });
}

/** The parent's entitlements, read only where the person is a member of the parent; else unknown. */
async function parentEntitlements(ctx, org) {
  const parent = ctx.nodes.get(org.parentId);
  if (parent?.access !== 'member') return undefined;
  if (!parent.parentId) return entitlementsOf({ isMaster: true });
  return api.get(orgPath(parent.id)).then(entitlementsOf, () => undefined);
}

/** ORG-7: set by holders of orgs.properties.manage on the parent, never beyond the parent's own. */
async function entitlementsPanel(ctx, org) {
  const editable = ctx.can('orgs.properties.manage', org.parentId);
  if (!editable) {
    return section(
      'Entitlements',
      entitlementFields(org.entitlements, { disabled: true }),
      hint('Administrators of the parent node set these.'),
    );
  }
  const parent = await parentEntitlements(ctx, org);
  const fields = entitlementFields(org.entitlements, {
    parent,
    parentName: ctx.nodes.get(org.parentId)?.name,
  });
  const panel = section(
    'Entitlements',
    form({
      fields,
      submit: 'Save entitlements',
      onSubmit: async (values) => {
        const saved = await api.put(orgPath(org.id, 'entitlements'), values);
        notify('Entitlements saved.');
        replacePanel(panel, await entitlementsPanel(ctx, saved));
      },
    }),
  );
  return panel;
}

/**
 * Puts a panel rebuilt from the API's answer in place of the old one, so what is being typed in the
 * node's other panels survives a save here; focus goes to its heading, the saved button being gone.
 */
function replacePanel(old, fresh) {
  old.replaceWith(fresh);
  const title = fresh.querySelector('h2');
  title?.setAttribute('tabindex', '-1');
  title?.focus();
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
  const add = h(
    'button',
    { class: 'button button-secondary button-small', type: 'button', onclick: () => addRow().focus() },
    'Add property',
  );
  // Every row repeats the labels "Property" and "Value": each control's name also says which property.
  const addRow = (key = '', value = '') => {
    const json = typeof value !== 'string';
    const valueLabel = json ? 'Value (JSON)' : 'Value';
    const keyField = field({
      label: 'Property',
      name: '',
      value: key,
      class: 'property-key',
      maxlength: 128,
    });
    const valueField = field({
      label: valueLabel,
      name: '',
      value: json ? JSON.stringify(value) : value,
      class: 'property-value',
      'data-json': json ? 'true' : undefined,
    });
    const keyInput = keyField.querySelector('input');
    const valueInput = valueField.querySelector('input');
    const remove = h('button', { class: 'button button-secondary button-small', type: 'button' }, 'Remove');
    const row = h('div', { class: 'inline-form property-row' }, keyField, valueField, remove);
    const name = () => {
      const key = keyInput.value.trim();
      const property = key ? `property ${key}` : 'new property';
      keyInput.setAttribute('aria-label', `Name of ${property}`);
      valueInput.setAttribute('aria-label', `${valueLabel} of ${key || 'new property'}`);
      remove.setAttribute('aria-label', `Remove ${property}`);
    };
    name();
    keyInput.addEventListener('change', name);
    remove.addEventListener('click', () => {
      // Focus moves on to the next row's name, or to "Add property", not to the page's start.
      const next = row.nextElementSibling?.querySelector('.property-key') ?? add;
      row.remove();
      next.focus();
    });
    rows.append(row);
    return keyInput;
  };
  for (const [k, v] of entries) addRow(k, v);
  const editor = form({
    fields: [rows, add],
    submit: 'Save properties',
    onSubmit: async (_values, formEl) => {
      const properties = {};
      for (const row of formEl.querySelectorAll('.property-row')) {
        const key = row.querySelector('.property-key').value.trim();
        const input = row.querySelector('.property-value');
        if (!key) continue;
        properties[key] = input.dataset.json ? parseJson(input.value, key) : input.value;
      }
      const saved = await api.put(orgPath(org.id, 'properties'), properties);
      notify('Properties saved.');
      replacePanel(panel, propertiesPanel(ctx, saved));
    },
  });
  const panel = section(
    'Properties',
    hint('Free-form values your apps can read: at most 50, each up to 1 KiB.'),
    editor,
  );
  return panel;
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
            h('li', null, c.access === 'member' ? h('a', { href: orgHash(c.id) }, c.name) : c.name),
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
  const inherited = entitlementsOf(org);
  openDialog(`New business group in ${org.name}`, (close) =>
    form({
      fields: [
        field({ label: 'Name', name: 'name', required: true, autocomplete: 'off' }),
        userField(ctx, {
          name: 'ownerUserId',
          labels: { username: 'Owner’s username', id: 'Owner’s user id' },
          hint: 'Leave empty to own it yourself. The owner must be an Organization Administrator of it (ORG-4).',
        }),
        // ORG-7: by default what the parent has; what it lacks cannot be given.
        canSetEntitlements && entitlementFields(inherited, { parent: inherited, parentName: org.name }),
      ],
      submit: 'Create business group',
      onSubmit: async (values) => {
        const body = { name: values.name };
        const owner = await userFrom(ctx, values.ownerUserId, { name: 'ownerUserId' });
        if (owner) body.ownerUserId = owner.id;
        // Disabled boxes are not read, and JSON leaves their `undefined` out: the API keeps them off.
        if (canSetEntitlements)
          body.entitlements = {
            createSubOrgs: values.createSubOrgs,
            createEnvironments: values.createEnvironments,
          };
        const created = await api.post(orgPath(org.id, 'business-groups'), body);
        close();
        notify(`${created.name} created.`);
        await ctx.refresh();
        ctx.go(`/organizations/${encodeURIComponent(created.id)}`);
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
        await api.del(orgPath(org.id));
        notify(`${org.name} deleted.`);
        await ctx.refresh();
        ctx.go(`/organizations/${encodeURIComponent(org.parentId)}`);
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
