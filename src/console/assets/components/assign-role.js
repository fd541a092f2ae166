// Granting a role (ROLE-3…ROLE-5): the "Assign role" dialog and the role + node + environment +
// inherit fields it shares with the invitation dialog and an identity provider's group mappings.
// Kept apart from the assignments panel in role-assignments.js, which opens the dialog.
import { api, getAll } from '../api.js';
import { closeButton, notify, openDialog } from '../dialogs.js';
import { errorBox, field, form, h, hint } from '../dom.js';
import { environmentCache } from './environments-lookup.js';
import { mayLookUpUsers, userField, userFrom } from './users-lookup.js';

const ADMINISTRATORS_KEY = 'organization-administrators';
const INHERIT_LABEL = 'Also applies to every business group below';

/**
 * What a panel or dialog looks up once: every role, and each node's environments (per node, on
 * first use). Kept per panel so a later visit sees environments created meanwhile.
 */
export function lookups() {
  let roles;
  const environmentsOf = environmentCache();
  return {
    roles: () => (roles ??= getAll('/roles')),
    /** id → environment; empty when the node's environments cannot be read. */
    environments: async (orgId) => new Map((await environmentsOf(orgId)).map((e) => [e.id, e])),
  };
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
export async function refreshIfSelf(ctx, userId) {
  if (userId === ctx.me.user?.id) await ctx.refresh().catch(() => undefined);
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
