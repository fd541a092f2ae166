// Identity providers of the master organization (FED-1…FED-7): connect a SAML 2.0 or OIDC provider,
// show what to configure at it, map its groups to roles (FED-4), and switch local account creation
// off once a provider signs people in (FED-5). The API decides what is allowed; this page offers.
import { api } from '../api.js';
import { mappingsSection } from '../components/group-mappings.js';
import { connectOidc, connectSaml, editProvider, providerPath } from '../components/idp-settings.js';
import { localAccountsPanel } from '../components/local-accounts.js';
import { notify, statusButton } from '../dialogs.js';
import { code, copyButton, h, heading, hint, section, table, when } from '../dom.js';

const KINDS = { saml: 'SAML 2.0', oidc: 'OIDC' };
const SOON_MS = 30 * 24 * 60 * 60 * 1000;

const badge = (on, yes, no) => h('span', { class: on ? 'badge' : 'badge badge-warn' }, on ? yes : no);

// ---------------------------------------------------------------------------------------------
// The list

export async function identityProvidersView(ctx) {
  const { identityProviders } = await api.get('/identity-providers');
  const canManage = ctx.can('idp.manage');
  const head = h(
    'div',
    { class: 'panel-head' },
    heading('Connected providers', 2),
    canManage &&
      h(
        'div',
        { class: 'row-actions' },
        h(
          'button',
          { class: 'button', type: 'button', onclick: () => connectSaml(ctx) },
          'Connect a SAML provider',
        ),
        h(
          'button',
          { class: 'button button-secondary', type: 'button', onclick: () => connectOidc(ctx) },
          'Connect an OIDC provider',
        ),
      ),
  );
  return [
    heading('Identity providers'),
    hint(
      'Let your people sign in with your company’s identity provider (Okta, Entra ID, ADFS, Google, Keycloak…). ' +
        'They need no invitation: their first sign-in creates their account, and their groups can map to roles.',
    ),
    h(
      'section',
      { class: 'panel' },
      head,
      table({
        caption: 'Identity providers',
        columns: [
          { label: 'Name', cell: (p) => h('a', { href: `#${providerPath(p.id)}` }, p.name) },
          { label: 'Kind', cell: (p) => KINDS[p.kind] ?? p.kind },
          { label: 'Status', cell: (p) => badge(p.enabled, 'Enabled', 'Disabled') },
          { label: 'Created', cell: (p) => when(p.createdAt) },
        ],
        rows: identityProviders,
        empty: 'No identity provider is connected yet. People sign in with a Canopy username and password.',
      }),
    ),
    await localAccountsPanel(ctx),
  ];
}

// ---------------------------------------------------------------------------------------------
// One provider

export async function identityProviderView(ctx, { params }) {
  const id = params.providerId;
  const provider = await api.get(providerPath(id));
  const canManage = ctx.can('idp.manage');
  return [
    heading(provider.name),
    h('p', null, h('a', { href: '#/identity-providers' }, 'All identity providers')),
    statusPanel(ctx, provider, canManage),
    urlsSection(provider),
    provider.kind === 'saml' && certificatesSection(provider),
    settingsSection(ctx, provider, canManage),
    await mappingsSection(ctx, provider),
    canManage && deleteSection(ctx, provider),
  ];
}

/** Enabled or not, and the switch (PATCH `{ enabled }`); a refusal (FED-5) shows here. */
function statusPanel(ctx, provider, canManage) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const on = provider.enabled;
  const toggle =
    canManage &&
    statusButton(
      on ? 'Disable provider' : 'Enable provider',
      async () => {
        await api.patch(providerPath(provider.id), { enabled: !on });
        notify(on ? `${provider.name} is disabled.` : `${provider.name} is enabled.`);
        ctx.rerender();
      },
      {
        status,
        secondary: on,
        danger: on,
        busyLabel: 'Saving…',
        confirm: on && {
          title: `Disable ${provider.name}?`,
          message:
            'People cannot sign in through it until it is enabled again, and it leaves the sign-in page. ' +
            'Its settings and group mappings are kept.',
          confirmLabel: 'Disable',
        },
      },
    );
  return h(
    'section',
    { class: 'panel', 'aria-label': 'Status' },
    h(
      'p',
      null,
      badge(on, 'Enabled', 'Disabled'),
      ' ',
      on
        ? 'People can sign in through this provider; it is offered on your sign-in page.'
        : 'Nobody can sign in through this provider while it is disabled.',
    ),
    status,
    toggle && h('div', { class: 'row-actions' }, toggle),
  );
}

/** A value to paste into the provider's admin screens, with a button that copies it. */
function copyable(label, value) {
  const text = code(value);
  return [
    h('dt', null, label),
    h('dd', { class: 'idp-copy' }, text, copyButton(value, `Copy ${label}`, { source: text })),
  ];
}

function urlsSection(provider) {
  const { urls } = provider;
  if (provider.kind === 'oidc') {
    return section(
      'Configure at your identity provider',
      hint('Register this redirect URI for Canopy’s app at your provider (exactly, one per provider).'),
      h('dl', { class: 'facts idp-facts' }, copyable('Redirect URI', urls.oidcRedirectUri)),
    );
  }
  const metadataHref = `/saml/${encodeURIComponent(provider.id)}/metadata`;
  return section(
    'Configure at your identity provider',
    hint(
      'Give your IdP Canopy’s service-provider metadata, or enter the entity id and the assertion consumer ' +
        'service URL by hand.',
    ),
    h(
      'dl',
      { class: 'facts idp-facts' },
      copyable('SP entity id', urls.spEntityId),
      copyable('ACS URL (HTTP-POST)', urls.acsUrl),
      copyable('SP metadata URL', urls.spMetadataUrl),
    ),
    provider.enabled
      ? h(
          'p',
          null,
          h(
            'a',
            {
              class: 'button button-secondary',
              href: metadataHref,
              download: `canopy-sp-metadata-${provider.id}.xml`,
            },
            'Download SP metadata',
          ),
        )
      : hint('The metadata is published while the provider is enabled: enable it to download the metadata.'),
  );
}

function certificatesSection(provider) {
  const now = Date.now();
  const expiry = (c) => {
    const at = new Date(c.notAfter).getTime();
    if (at < now) return [when(c.notAfter), ' ', h('span', { class: 'badge badge-warn' }, 'Expired')];
    if (at - now < SOON_MS)
      return [when(c.notAfter), ' ', h('span', { class: 'badge badge-warn' }, 'Expires soon')];
    return when(c.notAfter);
  };
  const certificates = provider.certificates ?? [];
  const expired = certificates.filter((c) => new Date(c.notAfter).getTime() < now);
  return section(
    'Signing certificates',
    hint('A response signed with any of these is accepted. Add the new one before your IdP rolls over.'),
    expired.length > 0 &&
      h(
        'p',
        { class: 'notice' },
        expired.length === certificates.length
          ? 'Every signing certificate has expired: replace them in the settings.'
          : 'A signing certificate has expired: remove it from the settings once the IdP no longer uses it.',
      ),
    table({
      caption: 'Signing certificates',
      columns: [
        { label: 'Subject', cell: (c) => c.subject },
        { label: 'SHA-256 fingerprint', cell: (c) => code(c.sha256Fingerprint) },
        { label: 'Expires', cell: expiry },
      ],
      rows: certificates,
      empty: 'No signing certificate.',
    }),
  );
}

function facts(pairs) {
  return h(
    'dl',
    { class: 'facts idp-facts' },
    pairs.filter(Boolean).map(([label, value]) => [h('dt', null, label), h('dd', null, value)]),
  );
}

function signatures(c) {
  if (c.wantResponseSigned && c.wantAssertionsSigned) return 'Response and assertion';
  return c.wantResponseSigned ? 'Response only' : 'Assertion only';
}

function settingsFacts(provider) {
  const c = provider.config;
  const common = [
    ['Kind', KINDS[provider.kind] ?? provider.kind],
    ['Provider id', code(provider.id)],
    ['Created', when(provider.createdAt)],
    ['Changed', when(provider.updatedAt)],
  ];
  if (provider.kind === 'oidc') {
    return facts([
      ...common,
      ['Issuer', code(c.issuer)],
      ['Client ID', code(c.clientId)],
      ['Client secret', provider.hasClientSecret ? 'Stored (write-only, never shown)' : 'None'],
      ['Scopes', c.scopes.join(' ')],
      ['Groups claim', code(c.groupsClaim)],
      ['Username claim', code(c.usernameClaim)],
      ['ID token signing algorithms', c.idTokenSigningAlgs.join(', ')],
    ]);
  }
  return facts([
    ...common,
    ['IdP entity id', code(c.entityId)],
    ['Single sign-on URL', code(c.ssoUrl)],
    ['Signatures required on', signatures(c)],
    ['IdP-initiated sign-in', c.allowIdpInitiated ? 'Allowed' : 'Off'],
    ['Clock skew', `${c.clockSkewSeconds} s`],
    ['Username attribute', code(c.attributes.username)],
    ['Email attribute', code(c.attributes.email)],
    ['Display name attribute', code(c.attributes.name)],
    ['Groups attribute', code(c.attributes.groups)],
  ]);
}

function settingsSection(ctx, provider, canManage) {
  const edit =
    canManage &&
    h(
      'button',
      { class: 'button button-secondary', type: 'button', onclick: () => editProvider(ctx, provider) },
      'Edit settings',
    );
  return h(
    'section',
    { class: 'panel' },
    h('div', { class: 'panel-head' }, heading('Settings', 2), edit),
    settingsFacts(provider),
  );
}

// ---------------------------------------------------------------------------------------------
// Deleting

function deleteSection(ctx, provider) {
  return section(
    'Delete provider',
    hint(
      'Its users stay but can no longer sign in through it, and the roles its group mappings granted are revoked.',
    ),
    h(
      'div',
      { class: 'actions' },
      statusButton(
        'Delete provider',
        async () => {
          await api.del(providerPath(provider.id));
          notify(`${provider.name} is deleted.`);
          ctx.go('/identity-providers');
        },
        {
          danger: true,
          busyLabel: 'Deleting…',
          confirm: {
            title: `Delete ${provider.name}?`,
            message:
              'Its users stay in Canopy but can no longer sign in through it, and the roles its group mappings ' +
              'granted are revoked now. This cannot be undone.',
          },
        },
      ),
    ),
  );
}
