// A node's business groups and what they may do (ORG-7): the list below a node, creating one, and
// the entitlements panel, plus the panel replacement the node panels share.
import { api } from '../api.js';
import { notify, openDialog } from '../dialogs.js';
import { field, form, h, heading, hint, section } from '../dom.js';
import { orgHash, orgPath } from './org-paths.js';
import { userField, userFrom } from './users-lookup.js';

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
export async function entitlementsPanel(ctx, org) {
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
export function replacePanel(old, fresh) {
  old.replaceWith(fresh);
  const title = fresh.querySelector('h2');
  title?.setAttribute('tabindex', '-1');
  title?.focus();
}

export function businessGroupsPanel(ctx, org) {
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
