// The organization page's environments (ENV-1) with their client credentials (CRED-1…CRED-5), and
// the node's own legacy credentials (CRED-4). Secrets appear only when asked for, in a dialog that
// takes them out of the page when it closes; every read is audited by the API.
import { api } from '../api.js';
import { closeButton, confirmAction, notify, openDialog } from '../dialogs.js';
import { busy, code, copyButton, errorBox, field, form, h, heading, hint, table, uid, when } from '../dom.js';

const TYPES = [
  { value: 'production', label: 'Production' },
  { value: 'sandbox', label: 'Sandbox' },
  { value: 'design', label: 'Design' },
];
const typeLabel = (type) => TYPES.find((t) => t.value === type)?.label ?? type;
const path = (...parts) => `/${parts.map(encodeURIComponent).join('/')}`;

/** The environments of `org`, with the actions the person may take; loads itself and rebuilds in place. */
export function environmentsPanel(ctx, org) {
  const titleId = uid('env');
  const panel = h('section', { class: 'panel', 'aria-labelledby': titleId, 'aria-busy': 'true' });
  panel.replaceChildren(panelHead(panel), hint('Loading environments…'));
  void refill(ctx, org, panel);
  return panel;
}

/** The node's own (legacy) client ID and a "Show secret" action, or null for people who may not read it. */
export function nodeCredentialsPanel(ctx, org) {
  if (!ctx.can('credentials.view', org.id)) return null;
  const show = h('button', { class: 'button button-secondary', type: 'button' }, 'Show secret');
  show.addEventListener('click', () =>
    revealSecret(
      show,
      () => api.get(path('organizations', org.id, 'credentials')),
      `Client secret of ${org.name}`,
    ),
  );
  return h(
    'section',
    { class: 'panel' },
    heading('Node credentials (legacy)', 2),
    h(
      'p',
      { class: 'notice' },
      `The client ID and secret of ${org.name} itself. They keep working, but they are legacy: environment `,
      'credentials are recommended, since each environment has its own and its secret can be rotated with a grace period.',
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Client ID'),
      h('dd', null, codeWithCopy(org.clientId, 'Copy the client ID')),
    ),
    h(
      'p',
      { class: 'hint' },
      'This secret cannot be rotated here. The operator resets it with the command-line tool, ',
      code(`canopy org reset-credentials ${org.id}`),
      ', and the old secret then stops working at once.',
    ),
    h('div', { class: 'actions' }, show),
  );
}

// ——— The environments panel ———

function panelHead(panel, ...actions) {
  const title = h('h2', { id: panel.getAttribute('aria-labelledby'), tabindex: '-1' }, 'Environments');
  return h('div', { class: 'panel-head' }, title, actions);
}

/**
 * Reads the environments and replaces the panel's content (not the page's, so the rest of the
 * organization page keeps its state). `focusKey` names the control to focus afterwards — the
 * rebuilt counterpart of the one the person used — falling back to the heading.
 */
async function refill(ctx, org, panel, focusKey) {
  panel.setAttribute('aria-busy', 'true');
  try {
    const { environments } = await api.get(path('organizations', org.id, 'environments'));
    panel.replaceChildren(...panelContent(ctx, org, panel, environments).filter(Boolean));
  } catch (err) {
    const retry = h('button', { class: 'button button-secondary', type: 'button' }, 'Try again');
    retry.addEventListener('click', () => refill(ctx, org, panel));
    panel.replaceChildren(panelHead(panel), errorBox(err), retry);
  } finally {
    panel.removeAttribute('aria-busy');
  }
  if (focusKey)
    (panel.querySelector(`[data-key="${CSS.escape(focusKey)}"]`) ?? panel.querySelector('h2')).focus();
}

function panelContent(ctx, org, panel, environments) {
  const manager = ctx.can('environments.manage', org.id);
  // Business groups manage environments only with the entitlement (ENV-1); the API refuses otherwise.
  const entitled = org.isMaster || org.entitlements?.createEnvironments === true;
  // Credentials may be held node-wide or on single environments (ROLE-3): judged row by row.
  const may = {
    manage: manager && entitled,
    view: (env) => ctx.canIn('credentials.view', org.id, env.id),
    rotate: (env) => ctx.canIn('credentials.rotate', org.id, env.id),
  };
  const hasAction = (env) => may.manage || may.view(env) || may.rotate(env);
  const after = (focusKey) => refill(ctx, org, panel, focusKey);
  const create = may.manage
    ? h('button', { class: 'button', type: 'button', 'data-key': 'new' }, 'New environment')
    : null;
  create?.addEventListener('click', () => newEnvironmentDialog(org, after));
  const columns = [
    { label: 'Name', cell: (env) => env.name },
    { label: 'Type', cell: (env) => typeBadge(env.type) },
    {
      label: 'Client ID',
      cell: (env) => h('span', null, codeWithCopy(env.clientId, `Copy the client ID of ${env.name}`)),
    },
  ];
  if (environments.some(hasAction))
    columns.push({ label: 'Actions', cell: (env) => rowActions(env, may, after) });
  return [
    panelHead(panel, create),
    hint(
      'Each environment has its own client ID and secret for machine callers (client-credentials grant). ' +
        'The type is set when the environment is created.',
    ),
    manager &&
      !entitled &&
      hint(
        `${org.name} may not create, rename or delete environments: this business group lacks the ` +
          '“create environments” entitlement. An administrator of its parent can grant it.',
      ),
    table({
      caption: `Environments of ${org.name}`,
      columns,
      rows: environments,
      empty: 'This node has no environments yet.',
    }),
  ];
}

function typeBadge(type) {
  return h('span', { class: type === 'production' ? 'badge badge-warn' : 'badge' }, typeLabel(type));
}

function rowActions(env, may, after) {
  // The visible label plus the environment's name, so each row's buttons are told apart when listed.
  const button = (label, name, key, onClick, danger = false) => {
    const b = h(
      'button',
      {
        class: `button button-secondary${danger ? ' button-danger' : ''}`,
        type: 'button',
        'data-key': `${key}:${env.id}`,
        'aria-label': name,
      },
      label,
    );
    b.addEventListener('click', () => onClick(b));
    return b;
  };
  const credentials = () => api.get(path('environments', env.id, 'credentials'));
  return h(
    'div',
    { class: 'row-actions' },
    may.view(env) &&
      button(`Show secret`, `Show secret of ${env.name}`, 'show', (b) =>
        revealSecret(b, credentials, `Client secret of ${env.name}`),
      ),
    may.rotate(env) &&
      button('Rotate secret', `Rotate secret of ${env.name}`, 'rotate', (b) => rotateDialog(env, b)),
    may.manage && button('Rename', `Rename ${env.name}`, 'rename', () => renameDialog(env, after)),
    may.manage &&
      button('Delete', `Delete ${env.name}`, 'delete', (b) => deleteEnvironment(env, b, after), true),
  );
}

/** The API's 409 for a duplicate name carries no field; place it next to Name all the same. */
function nameProblemInline(err) {
  if (err.code === 'environment.name_taken' && !err.fields?.length)
    err.fields = [{ field: 'name', problem: 'is already used by another environment of this node' }];
  return err;
}

function required(values, names) {
  const missing = names.filter((n) => !String(values[n] ?? '').trim());
  if (missing.length)
    throw {
      message: 'Fill in the highlighted fields.',
      fields: missing.map((field) => ({ field, problem: 'is required' })),
    };
}

function newEnvironmentDialog(org, after) {
  openDialog(`New environment of ${org.name}`, (close) =>
    form({
      fields: [
        field({
          label: 'Name',
          name: 'name',
          required: true,
          maxlength: 255,
          autocomplete: 'off',
          autofocus: true,
        }),
        field({
          label: 'Type',
          name: 'type',
          type: 'select',
          required: true,
          options: [{ value: '', label: 'Choose a type' }, ...TYPES],
          hint: 'Production, sandbox or design. The type cannot be changed later.',
        }),
      ],
      submit: 'Create environment',
      secondary: closeButton(close),
      onSubmit: async (values) => {
        required(values, ['name', 'type']);
        const env = await api
          .post(path('organizations', org.id, 'environments'), {
            name: values.name.trim(),
            type: values.type,
          })
          .catch((err) => Promise.reject(nameProblemInline(err)));
        close();
        notify(`Environment “${env.name}” created, with its own client credentials.`);
        await after('new');
      },
    }),
  );
}

function renameDialog(env, after) {
  openDialog(`Rename ${env.name}`, (close) =>
    form({
      fields: [
        field({
          label: 'Name',
          name: 'name',
          value: env.name,
          required: true,
          maxlength: 255,
          autocomplete: 'off',
          autofocus: true,
        }),
      ],
      submit: 'Rename',
      secondary: closeButton(close),
      onSubmit: async (values) => {
        required(values, ['name']);
        const renamed = await api
          .patch(path('environments', env.id), { name: values.name.trim() })
          .catch((err) => Promise.reject(nameProblemInline(err)));
        close();
        notify(`Environment “${env.name}” renamed to “${renamed.name}”.`);
        await after(`rename:${env.id}`);
      },
    }),
  );
}

async function deleteEnvironment(env, button, after) {
  const confirmed = await confirmAction(
    `Delete ${env.name}?`,
    `The ${typeLabel(env.type).toLowerCase()} environment “${env.name}” is deleted together with its client ` +
      'credentials and every role assignment scoped to it. Machine callers that use its client ID stop working ' +
      'at once. This cannot be undone.',
    'Delete environment',
  );
  if (!confirmed) return;
  try {
    await busy(button, () => api.del(path('environments', env.id)), 'Deleting…');
  } catch (err) {
    return notify(err.message, 'error');
  }
  notify(`Environment “${env.name}” deleted.`);
  await after(`delete:${env.id}`);
}

function rotateDialog(env, opener) {
  openDialog(`Rotate the secret of ${env.name}`, (close) =>
    form({
      fields: [
        hint('A new secret replaces the current one; machine callers need the new one to keep working.'),
        field({
          label: 'Grace period (hours)',
          name: 'graceHours',
          type: 'number',
          value: 24,
          min: 0,
          max: 720,
          step: 1,
          required: true,
          autofocus: true,
          inputmode: 'numeric',
          hint: 'The current secret keeps working for this long, so you can roll out the new one; 0 stops it at once.',
        }),
      ],
      submit: 'Rotate secret',
      secondary: closeButton(close),
      onSubmit: async ({ graceHours }) => {
        // Empty would let the server's configured default apply silently; ask for a number instead.
        if (graceHours === undefined)
          throw {
            message: 'Enter a grace period.',
            fields: [{ field: 'graceHours', problem: 'is required' }],
          };
        const rotated = await api.post(path('environments', env.id, 'credentials', 'rotate'), { graceHours });
        close();
        notify(`The secret of ${env.name} was rotated.`);
        // Nothing in the table changes, so no rebuild: the new secret goes straight to its dialog.
        opener.focus();
        secretDialog(`New client secret of ${env.name}`, rotated, 'rotated');
      },
    }),
  );
}

// ——— Secrets ———

/** Reads credentials (audited by the API) with `button` busy, then shows them. */
async function revealSecret(button, read, title) {
  let credentials;
  try {
    credentials = await busy(button, read, 'Reading…');
  } catch (err) {
    return notify(err.message, 'error');
  }
  button.focus(); // the dialog hands focus back to whatever had it when it opened
  secretDialog(title, credentials, 'read');
}

/** The secret in a dialog; closing it removes the dialog, and the secret with it, from the page. */
function secretDialog(title, credentials, how) {
  const secret = h('p', { class: 'secret' }, credentials.clientSecret);
  const { dialog } = openDialog(title, (close) =>
    h(
      'div',
      null,
      h(
        'p',
        null,
        how === 'rotated'
          ? 'Store it now: it is shown once here, and every later read is audited.'
          : 'This read has been recorded in the audit log.',
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Client ID'),
        h('dd', null, code(credentials.clientId)),
        h('dt', null, 'Client secret'),
        h('dd', null, secret),
      ),
      previousSecret(credentials.previousSecretExpiresAt, how),
      h(
        'div',
        { class: 'actions' },
        copyButton(credentials.clientSecret, 'Copy the secret', { source: secret, small: false }),
        closeButton(close, 'Done'),
      ),
    ),
  );
  dialog.addEventListener('close', () => secret.replaceChildren());
}

function previousSecret(expiresAt, how) {
  if (expiresAt && new Date(expiresAt) > new Date())
    return h('p', null, `The previous secret keeps working until ${when(expiresAt)}.`);
  return how === 'rotated' ? h('p', null, 'The previous secret stopped working at once.') : null;
}

/** A client ID with its Copy button (which selects the ID where the clipboard is refused). */
function codeWithCopy(text, label) {
  const shown = code(text);
  return [shown, ' ', copyButton(text, label, { source: shown })];
}
