// The panels of one node on the organization page — facts and owner, settings or name,
// properties, environments, credentials, role assignments and deletion — apart from the page's tree
// and index; the business-group and entitlement panels are in business-groups.js.
import { api } from '../api.js';
import { rememberOrg } from '../auth.js';
import { actionButton, closeButton, confirmAction, notify, openDialog } from '../dialogs.js';
import { code, field, form, h, hint, section, when } from '../dom.js';
import { businessGroupsPanel, entitlementsPanel, replacePanel } from './business-groups.js';
import { environmentsPanel, nodeCredentialsPanel } from './environments.js';
import { localAccountsPanel } from './local-accounts.js';
import { orgPath } from './org-paths.js';
import { assignmentsPanel } from './role-assignments.js';
import { userField, userFrom } from './users-lookup.js';

/** Every panel of `org` the person may see, in page order. */
export async function nodePanels(ctx, org) {
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
      field({
        label: 'Minimum password length (characters)',
        name: 'passwordMinLength',
        type: 'number',
        value: org.passwordMinLength,
        inputmode: 'numeric',
        disabled: !editable,
        hint:
          'From 8 to 64; 12 unless you choose. Applies whenever a password is set from now on: ' +
          'existing passwords keep working until they are changed.',
      }),
    ],
    submit: 'Save settings',
    onSubmit: async (values, formEl) => {
      // An emptied number field (undefined) is no change.
      const changed = ([k, v]) => v !== undefined && v !== org[k];
      const changes = Object.fromEntries(Object.entries(values).filter(changed));
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
