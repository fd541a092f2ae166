// The pieces of the connected-app forms (APP-1, APP-2), shared by registering and editing: the
// kind picker, redirect-URI, refresh-reuse and grant fields, the request body they make, the API's
// problems explained, and the dialog that shows a client secret once.
import { closeButton, openDialog } from '../dialogs.js';
import { copyButton, field, h, hint, uid } from '../dom.js';

/** The kinds of app (APP-1): label for the picker, short name for lists, help under the picker. */
export const KINDS = {
  web: {
    label: 'web — server-side web app',
    short: 'Web',
    help: 'A server-side web app. It keeps a client secret and signs people in with the authorization code flow.',
  },
  spa: {
    label: 'spa — single-page app',
    short: 'Single-page',
    help: 'An app running in the browser. A public client: no secret; it signs people in with the authorization code flow and PKCE.',
  },
  native: {
    label: 'native — mobile or desktop app',
    short: 'Native',
    help: 'A mobile or desktop app. A public client with PKCE; it may also redirect to http on loopback or to a private-use scheme (com.example.app:/callback).',
  },
  service: {
    label: 'service — machine to machine',
    short: 'Service',
    help: 'A backend acting on its own with the client credentials grant and a client secret, limited to the nodes and permissions granted below.',
  },
};

/** Textarea lines → URIs, remembering each one's line so the API's `redirectUris.1` can name it. */
function uriLines(text) {
  return String(text ?? '')
    .split(/\r?\n/)
    .map((uri, i) => ({ uri: uri.trim(), line: i + 1 }))
    .filter((l) => l.uri);
}

/**
 * Makes the API's problems readable where they land: `redirectUris.1` is the second URI sent, not
 * the second line, so its problem names the line and the URI; a grant the person may not give names
 * its node and the missing permissions.
 */
export function explain(err, sent, ctx) {
  const fields = (err.fields ?? []).map(({ field: name, problem }) => {
    const [list, index] = String(name).split('.');
    const entry = sent.uris?.[list]?.[Number(index)];
    return entry
      ? { field: name, problem: `(line ${entry.line}: ${entry.uri}) ${problem}` }
      : { field: name, problem };
  });
  const d = err.details ?? {};
  if (err.code === 'app.privilege_escalation' && d.organizationId && d.missingPermissions?.length) {
    fields.push({
      field: 'grants',
      problem: `on ${ctx.pathName(d.organizationId)}: you do not hold ${d.missingPermissions.join(', ')} there and on every node below`,
    });
  }
  if (err.code === 'app.name_taken') fields.push({ field: 'name', problem: 'is taken by another app' });
  err.fields = fields;
  return err;
}

// ——— The client secret, shown once ———

/** Shows a new client secret once, with Copy; resolves when the dialog is closed. */
export function showSecretOnce(appName, secret) {
  return new Promise((resolve) => {
    const { dialog } = openDialog('Client secret', (close) => {
      const value = h('p', { class: 'secret' }, secret);
      return h(
        'div',
        null,
        h('p', null, h('strong', null, 'This is the only time it is shown; store it now.')),
        hint(
          `The client secret of “${appName}”. Canopy cannot show it again; if it is lost, rotate the secret.`,
        ),
        h('dl', { class: 'facts' }, h('dt', null, 'Client secret'), h('dd', null, value)),
        h(
          'div',
          { class: 'actions' },
          copyButton(secret, 'Copy the secret', { source: value, small: false, primary: true }),
          closeButton(close, 'Done'),
        ),
      );
    });
    dialog.addEventListener('close', () => resolve());
  });
}

// ——— Grants (service apps) ———

/**
 * Checkboxes of permissions per node the person is a member of (each grant covers its node and
 * everything below). Permissions they do not hold there are offered disabled unless already
 * granted. Grants on nodes they cannot see are kept as they are.
 */
function grantsPicker(ctx, catalogue, grants = []) {
  const id = uid('f');
  const byNode = new Map(grants.map((g) => [g.organizationId, new Set(g.permissions)]));
  const nodes = ctx.ordered.map((node) => grantNode(ctx, node, catalogue, byNode.get(node.id) ?? new Set()));
  const unseen = grants.filter((g) => !ctx.ordered.some((n) => n.id === g.organizationId));
  const picker = h(
    'fieldset',
    { class: 'field grants-picker', 'data-field': 'grants', 'aria-describedby': `${id}-hint ${id}-error` },
    h('legend', null, 'Grants'),
    h(
      'p',
      { class: 'hint', id: `${id}-hint` },
      'What the app may do, node by node; a grant also covers every business group below its node. It asks for these permissions as scopes.',
    ),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
    nodes,
    unseen.length > 0 &&
      hint(`Also granted on ${unseen.length} node(s) you cannot see; those grants are kept unchanged.`),
  );
  picker.kept = unseen;
  return picker;
}

function grantNode(ctx, node, catalogue, granted) {
  const count = h('span', { class: 'hint' });
  const recount = () => {
    const n = details.querySelectorAll('input:checked').length;
    count.textContent = n ? ` — ${n} chosen` : '';
  };
  const held = new Set(node.permissions);
  const details = h(
    'details',
    { class: 'grant-node', open: granted.size > 0, onchange: recount },
    h('summary', { class: 'grant-summary' }, ctx.pathName(node.id), count),
    catalogue.map((p) => {
      const inputId = uid('f');
      const mayGive = held.has(p.name);
      return h(
        'div',
        { class: 'field-checkbox permission-option' },
        h('input', {
          id: inputId,
          type: 'checkbox',
          name: 'grants',
          value: p.name,
          'data-org': node.id,
          checked: granted.has(p.name),
          disabled: !mayGive && !granted.has(p.name),
          'aria-describedby': `${inputId}-hint`,
        }),
        h('label', { for: inputId }, p.name),
        h(
          'p',
          { class: 'hint', id: `${inputId}-hint` },
          mayGive
            ? `${p.description}.`
            : `${p.description}. You do not hold it here, so you cannot grant it.`,
        ),
      );
    }),
  );
  recount();
  return details;
}

/** The grants ticked in a form, one per node in tree order, plus the ones kept unseen. */
function chosenGrants(picker) {
  const byNode = new Map();
  for (const input of picker.querySelectorAll('input[name="grants"]:checked')) {
    byNode.set(input.dataset.org, [...(byNode.get(input.dataset.org) ?? []), input.value]);
  }
  return [
    ...[...byNode].map(([organizationId, permissions]) => ({ organizationId, permissions })),
    ...picker.kept,
  ];
}

// ——— The app form (register and edit) ———

/** Fields for user-facing apps and for service apps; the ones for the other kind are hidden and ignored. */
export function appFields(ctx, catalogue, app) {
  const userFacing = h(
    'div',
    null,
    field({
      label: 'Redirect URIs',
      name: 'redirectUris',
      type: 'textarea',
      value: app?.redirectUris.join('\n'),
      hint: 'One per line, exactly as the app sends them. https only, except http on 127.0.0.1, [::1] or localhost.',
      spellcheck: 'false',
      autocomplete: 'off',
    }),
    field({
      label: 'Post-logout redirect URIs',
      name: 'postLogoutRedirectUris',
      type: 'textarea',
      value: app?.postLogoutRedirectUris.join('\n'),
      hint: 'Optional. Where the app may send people after they sign out; one per line.',
      spellcheck: 'false',
      autocomplete: 'off',
    }),
    field({
      label: 'Refresh token reuse interval (seconds)',
      name: 'refreshTokenReuseSeconds',
      type: 'number',
      value: app?.refreshTokenReuseSeconds ?? 5,
      min: 0,
      max: 60,
      step: 1,
      inputmode: 'numeric',
      hint: 'From 0 to 60. For apps whose workers may refresh at the same moment: a refresh token used again within this many seconds still gets new tokens. Used again later, it is taken as stolen and all of that sign-in’s tokens for the app are revoked. 0: any reuse revokes them.',
    }),
  );
  const picker = grantsPicker(ctx, catalogue, app?.grants);
  const service = h('div', null, picker);
  const show = (kind) => {
    userFacing.hidden = kind === 'service';
    service.hidden = kind !== 'service';
  };
  return { userFacing, service, picker, show };
}

/** The request body for an app of `kind` from a form, and the URI lines it was read from. */
export function appBody(kind, values, parts) {
  if (kind === 'service')
    return { body: { name: values.name, grants: chosenGrants(parts.picker) }, uris: {} };
  const redirectUris = uriLines(values.redirectUris);
  const postLogoutRedirectUris = uriLines(values.postLogoutRedirectUris);
  return {
    body: {
      name: values.name,
      redirectUris: redirectUris.map((l) => l.uri),
      postLogoutRedirectUris: postLogoutRedirectUris.map((l) => l.uri),
      refreshTokenReuseSeconds: values.refreshTokenReuseSeconds,
    },
    uris: { redirectUris, postLogoutRedirectUris },
  };
}

export function kindField(onPick) {
  const control = field({
    label: 'Kind',
    name: 'kind',
    type: 'select',
    value: 'web',
    options: Object.entries(KINDS).map(([value, k]) => ({ value, label: k.label })),
    hint: KINDS.web.help,
    required: true,
  });
  const select = control.querySelector('select');
  select.addEventListener('change', () => {
    control.querySelector('.hint').textContent = KINDS[select.value]?.help ?? '';
    onPick(select.value);
  });
  return control;
}
