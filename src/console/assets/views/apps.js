// Connected apps (APP-1, APP-2): user-facing apps that sign the tenant's people in, and service
// apps that call the API on their own with grants. A client secret is shown once, when created.
// The form pieces (kind, redirect URIs, grants, the secret dialog) are in components/app-form.js.
import { api } from '../api.js';
import { appBody, appFields, explain, KINDS, kindField, showSecretOnce } from '../components/app-form.js';
import { closeButton, confirmAction, notify, openDialog, statusButton } from '../dialogs.js';
import { code, field, form, h, heading, hint, table, when } from '../dom.js';

const appPath = (app) => `/apps/${encodeURIComponent(app.id)}`;
const badge = (text) => h('span', { class: 'badge' }, text);

// ——— Registering ———

function openRegister(ctx, catalogue) {
  openDialog('Register an app', (close) => {
    const parts = appFields(ctx, catalogue);
    parts.show('web');
    return form({
      fields: [
        kindField(parts.show),
        field({ label: 'Name', name: 'name', required: true, maxlength: 255, autocomplete: 'off' }),
        parts.userFacing,
        parts.service,
      ],
      submit: 'Register app',
      secondary: closeButton(close),
      onSubmit: async (values) => {
        const sent = appBody(values.kind, values, parts);
        let created;
        try {
          created = await api.post('/apps', { kind: values.kind, ...sent.body });
        } catch (err) {
          throw explain(err, sent, ctx);
        }
        close();
        notify(`App “${created.app.name}” registered.`);
        if (created.clientSecret) await showSecretOnce(created.app.name, created.clientSecret);
        ctx.go(appPath(created.app));
      },
    });
  });
}

// ——— The list ———

export async function appsView(ctx) {
  const { apps } = await api.get('/apps');
  const register =
    ctx.can('apps.manage') &&
    h(
      'button',
      {
        class: 'button',
        type: 'button',
        onclick: async () => {
          const catalogue = await api.get('/permissions').catch((err) => notify(err.message, 'error'));
          if (catalogue) openRegister(ctx, catalogue.items);
        },
      },
      'Register an app',
    );
  return [
    heading('Connected apps'),
    hint(
      'Apps that sign your people in through Canopy (only people of your organization can sign in to them), and services that call the API on their own.',
    ),
    register && h('div', { class: 'panel-head' }, register),
    appsTable(apps),
  ].filter(Boolean);
}

/** The apps, a row each; client ids stay on one line (the table scrolls sideways on a phone). */
function appsTable(apps) {
  const list = table({
    caption: 'Connected apps',
    empty: 'No apps yet.',
    rows: apps,
    columns: [
      { label: 'Name', cell: (a) => h('a', { href: `#${appPath(a)}` }, a.name) },
      { label: 'Kind', cell: (a) => KINDS[a.kind]?.short ?? a.kind },
      { label: 'Client id', cell: (a) => code(a.clientId) },
      { label: 'Redirect URIs', cell: (a) => (a.kind === 'service' ? '—' : String(a.redirectUris.length)) },
      { label: 'First-party', cell: (a) => (a.firstParty ? badge('First-party') : '—') },
      { label: 'Created', cell: (a) => when(a.createdAt) },
    ],
  });
  list.classList.add('apps-table');
  return list;
}

// ——— One app ———

const uriList = (uris) =>
  uris.length
    ? h(
        'ul',
        { class: 'plain-list' },
        uris.map((u) => h('li', null, code(u))),
      )
    : '—';

function grantList(ctx, grants) {
  if (!grants.length) return 'None';
  return h(
    'ul',
    { class: 'plain-list' },
    grants.map((g) =>
      h('li', null, h('strong', null, ctx.pathName(g.organizationId)), ': ', g.permissions.join(', ')),
    ),
  );
}

function facts(ctx, app) {
  const rows = [
    ['Client id', code(app.clientId)],
    ['Kind', KINDS[app.kind]?.label ?? app.kind],
    ['Confidential', app.confidential ? 'Yes: it has a client secret' : 'No: a public client, PKCE only'],
    ['First-party', app.firstParty ? 'Yes: no consent page (set by the operator)' : 'No'],
  ];
  if (app.kind === 'service') rows.push(['Grants', grantList(ctx, app.grants)]);
  else
    rows.push(
      ['Redirect URIs', uriList(app.redirectUris)],
      ['Post-logout redirect URIs', uriList(app.postLogoutRedirectUris)],
      [
        'Refresh token reuse',
        app.refreshTokenReuseSeconds
          ? `Within ${app.refreshTokenReuseSeconds} s: new tokens; later: the grant is revoked`
          : 'Never: any reuse revokes the grant',
      ],
    );
  if (app.confidential)
    rows.push([
      'Previous secret',
      app.previousSecretExpiresAt
        ? `Still accepted until ${when(app.previousSecretExpiresAt)}`
        : 'None accepted',
    ]);
  rows.push(['Created', when(app.createdAt)], ['Updated', when(app.updatedAt)]);
  return h(
    'dl',
    { class: 'facts app-facts' },
    rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
}

function editForm(ctx, app, catalogue) {
  const parts = appFields(ctx, catalogue, app);
  parts.show(app.kind);
  return form({
    fields: [
      field({
        label: 'Name',
        name: 'name',
        value: app.name,
        required: true,
        maxlength: 255,
        autocomplete: 'off',
      }),
      app.kind === 'service' ? parts.service : parts.userFacing,
    ],
    submit: 'Save changes',
    onSubmit: async (values) => {
      const sent = appBody(app.kind, values, parts);
      try {
        await api.patch(appPath(app), sent.body);
      } catch (err) {
        throw explain(err, sent, ctx);
      }
      notify('App saved.');
      ctx.go(appPath(app)); // renders it again, focus on its heading
    },
  });
}

function rotateForm(ctx, app) {
  return form({
    fields: [
      field({
        label: 'Grace period (hours)',
        name: 'graceHours',
        type: 'number',
        value: 0,
        min: 0,
        max: 720,
        step: 1,
        inputmode: 'numeric',
        hint: 'How long the current secret keeps working beside the new one (0 to 720); 0 stops it at once.',
      }),
    ],
    submit: 'Rotate secret',
    onSubmit: async ({ graceHours }) => {
      const hours = graceHours ?? 0;
      const sure = await confirmAction(
        'Rotate secret?',
        hours > 0
          ? `A new secret replaces the current one, which keeps working for ${hours} more hour(s).`
          : 'A new secret replaces the current one, which stops working at once: the app fails until it uses the new secret.',
        'Rotate secret',
      );
      if (!sure) return;
      const { clientSecret } = await api.post(`${appPath(app)}/secret`, { graceHours });
      await showSecretOnce(app.name, clientSecret);
      notify('Secret rotated.');
      ctx.go(appPath(app));
    },
  });
}

function removeButton(ctx, app) {
  return statusButton(
    'Remove app',
    async () => {
      await api.del(appPath(app));
      notify(`App “${app.name}” removed.`);
      ctx.go('/apps');
    },
    {
      confirm: {
        title: 'Remove app?',
        message: `Remove “${app.name}”? Its clients stop working at once: nobody can sign in through it and its client id${app.confidential ? ' and secret are' : ' is'} refused. This cannot be undone.`,
      },
      danger: true,
      secondary: false,
      busyLabel: 'Removing…',
    },
  );
}

export async function appView(ctx, { params }) {
  const [app, catalogue] = await Promise.all([
    api.get(`/apps/${encodeURIComponent(params.appId)}`),
    api.get('/permissions'),
  ]);
  return [
    heading(app.name),
    h(
      'p',
      null,
      badge(KINDS[app.kind]?.short ?? app.kind),
      ' ',
      app.firstParty && badge('First-party'),
      ' ',
      h('a', { href: '#/apps' }, 'All apps'),
    ),
    h('section', { class: 'panel' }, heading('Details', 2), facts(ctx, app)),
    h('section', { class: 'panel' }, heading('Edit app', 2), editForm(ctx, app, catalogue.items)),
    app.confidential &&
      h(
        'section',
        { class: 'panel' },
        heading('Client secret', 2),
        hint('The secret cannot be read again. Rotate it to get a new one, shown once.'),
        rotateForm(ctx, app),
      ),
    h(
      'section',
      { class: 'panel' },
      heading('Remove app', 2),
      hint('Its clients stop working at once.'),
      h('div', { class: 'actions' }, removeButton(ctx, app)),
    ),
  ];
}
