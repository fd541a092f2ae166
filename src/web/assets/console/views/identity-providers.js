// Identity providers of the master organization (FED-1…FED-7): connect a SAML 2.0 or OIDC provider,
// show what to configure at it, map its groups to roles (FED-4), and switch local account creation
// off once a provider signs people in (FED-5). The API decides what is allowed; this page offers.
import { api, getAll } from '../api.js';
import { localAccountsPanel } from '../components/local-accounts.js';
import {
  actionButton,
  busy,
  code,
  confirmAction,
  errorBox,
  field,
  form,
  h,
  heading,
  hint,
  notify,
  openDialog,
  section,
  table,
  uid,
  when,
} from '../dom.js';

const KINDS = { saml: 'SAML 2.0', oidc: 'OIDC' };
const MAX_METADATA_BYTES = 256 * 1024;
const SOON_MS = 30 * 24 * 60 * 60 * 1000;

// The API's defaults (idp.validation.ts), shown in the connect forms so nothing is hidden.
const SAML_DEFAULTS = {
  entityId: '',
  ssoUrl: '',
  signingCertificates: [],
  wantResponseSigned: true,
  wantAssertionsSigned: true,
  allowIdpInitiated: false,
  clockSkewSeconds: 60,
  attributes: { username: 'uid', email: 'email', name: 'displayName', groups: 'groups' },
};
const OIDC_DEFAULTS = {
  issuer: '',
  clientId: '',
  scopes: ['openid', 'profile', 'email'],
  groupsClaim: 'groups',
  usernameClaim: 'preferred_username',
  idTokenSigningAlgs: ['RS256', 'ES256'],
};

const providerPath = (id) => `/identity-providers/${encodeURIComponent(id)}`;
const words = (text) =>
  String(text ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);
const badge = (on, yes, no) => h('span', { class: on ? 'badge' : 'badge badge-warn' }, on ? yes : no);

/** Compares settings whatever the key order (the database does not keep it). */
function same(a, b) {
  const normal = (v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, normal(v[k])]),
        )
      : v;
  return JSON.stringify(normal(a)) === JSON.stringify(normal(b));
}

/** The PEM blocks of a textarea; text without any is sent whole so the API can say what is wrong. */
function pems(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return [];
  return trimmed.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [trimmed];
}

/** A group of fields under a legend. */
const group = (legend, ...content) => h('fieldset', null, h('legend', null, legend), content);

/** Settings people rarely change, folded away; opened when a problem lands inside. */
const more = (summary, ...content) =>
  h('details', { class: 'idp-more' }, h('summary', null, summary), content);

/** The control wrapper an API field path lands on (dom.js's rule: the closest prefix). */
function closestField(formEl, name) {
  for (let parts = name.split('.'); parts.length; parts.pop()) {
    const wrapper = formEl.querySelector(`[data-field="${CSS.escape(parts.join('.'))}"]`);
    if (wrapper) return wrapper;
  }
  return null;
}

/** A form whose folded sections open when the API names a field, so the error is seen and focused. */
function providerForm(options) {
  const formEl = form({
    ...options,
    onSubmit: async (values, el) => {
      try {
        await options.onSubmit(values, el);
      } catch (err) {
        for (const { field: name } of err.fields ?? []) {
          const wrapper = closestField(el, String(name));
          const folded = wrapper?.closest('details');
          if (folded) folded.open = true;
        }
        throw err;
      }
    },
  });
  return formEl;
}

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
// Connecting a provider

/** The IdP metadata textarea, with a file picker that reads the file into it (nothing is uploaded). */
function metadataFields(label, help) {
  const wrapper = field({
    label,
    name: 'metadataXml',
    type: 'textarea',
    hint: help,
    rows: 6,
    spellcheck: 'false',
  });
  const textarea = wrapper.querySelector('textarea');
  const id = uid('f');
  const said = h('p', { class: 'hint', 'aria-live': 'polite' });
  const picker = h('input', { id, type: 'file', accept: '.xml', class: 'idp-file' });
  picker.addEventListener('change', () => {
    const file = picker.files?.[0];
    if (!file) return;
    if (file.size > MAX_METADATA_BYTES) {
      said.textContent = `${file.name} is larger than 256 KiB; metadata documents are much smaller.`;
      return;
    }
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      textarea.value = String(reader.result ?? '');
      said.textContent = `Read ${file.name} into the box above.`;
    });
    reader.addEventListener('error', () => {
      said.textContent = `${file.name} could not be read.`;
    });
    reader.readAsText(file);
  });
  return [
    wrapper,
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, 'Or read the metadata from a file'),
      hint('The file is read here in your browser into the box above; only its text is sent to Canopy.'),
      picker,
      said,
    ),
  ];
}

function samlSettingFields(c, { editing = false } = {}) {
  return [
    group(
      editing ? 'Settings' : 'Or the settings one by one',
      hint(
        editing
          ? 'Settings you change here win over an imported metadata document.'
          : 'Settings given here win over the metadata document.',
      ),
      field({
        label: 'Single sign-on URL',
        name: 'config.ssoUrl',
        type: 'url',
        value: c.ssoUrl,
        hint: 'Where Canopy sends people to sign in (the HTTP-Redirect binding), https.',
      }),
      field({
        label: 'IdP entity id (issuer)',
        name: 'config.entityId',
        value: c.entityId,
        hint: 'The Issuer its responses carry, e.g. http://www.okta.com/exk1…',
        spellcheck: 'false',
      }),
      field({
        label: 'Signing certificates (PEM)',
        name: 'config.signingCertificates',
        type: 'textarea',
        value: c.signingCertificates.join('\n'),
        hint: 'One or more, each from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----; any of them may sign (for rollover).',
        rows: 5,
        spellcheck: 'false',
      }),
    ),
    more(
      'Signatures, sign-in and attributes',
      group(
        'Signatures and sign-in',
        field({
          label: 'The response must be signed',
          name: 'config.wantResponseSigned',
          type: 'checkbox',
          value: c.wantResponseSigned,
        }),
        field({
          label: 'The assertion must be signed',
          name: 'config.wantAssertionsSigned',
          type: 'checkbox',
          value: c.wantAssertionsSigned,
          hint: 'Turn one off for an IdP that signs only the other; never both.',
        }),
        field({
          label: 'Allow IdP-initiated sign-in',
          name: 'config.allowIdpInitiated',
          type: 'checkbox',
          value: c.allowIdpInitiated,
          hint: 'From the IdP’s app dashboard; such a sign-in lands in the organization’s console.',
        }),
        field({
          label: 'Allowed clock skew (seconds)',
          name: 'config.clockSkewSeconds',
          type: 'number',
          value: c.clockSkewSeconds,
          min: 0,
          max: 300,
          hint: 'From 0 to 300.',
        }),
      ),
      group(
        'Attributes read from the assertion',
        field({
          label: 'Username attribute',
          name: 'config.attributes.username',
          value: c.attributes.username,
          hint: 'The NameID is used when the assertion has none.',
        }),
        field({ label: 'Email attribute', name: 'config.attributes.email', value: c.attributes.email }),
        field({ label: 'Display name attribute', name: 'config.attributes.name', value: c.attributes.name }),
        field({
          label: 'Groups attribute',
          name: 'config.attributes.groups',
          value: c.attributes.groups,
          hint: 'Its values are matched to the group mappings.',
        }),
      ),
    ),
  ];
}

/** Every SAML setting the form holds, as the API names them. */
function samlConfigFrom(v) {
  return {
    entityId: String(v['config.entityId'] ?? '').trim(),
    ssoUrl: String(v['config.ssoUrl'] ?? '').trim(),
    signingCertificates: pems(v['config.signingCertificates']),
    wantResponseSigned: v['config.wantResponseSigned'],
    wantAssertionsSigned: v['config.wantAssertionsSigned'],
    allowIdpInitiated: v['config.allowIdpInitiated'],
    clockSkewSeconds: v['config.clockSkewSeconds'],
    attributes: {
      username: String(v['config.attributes.username'] ?? '').trim(),
      email: String(v['config.attributes.email'] ?? '').trim(),
      name: String(v['config.attributes.name'] ?? '').trim(),
      groups: String(v['config.attributes.groups'] ?? '').trim(),
    },
  };
}

function oidcSettingFields(c, { editing = false, hasClientSecret = false } = {}) {
  return [
    field({
      label: 'Issuer URL',
      name: 'config.issuer',
      type: 'url',
      value: c.issuer,
      required: true,
      spellcheck: 'false',
      hint: 'Canopy reads {issuer}/.well-known/openid-configuration at sign-in; the issuer found there must be exactly this one.',
    }),
    field({
      label: 'Client ID',
      name: 'config.clientId',
      value: c.clientId,
      required: true,
      spellcheck: 'false',
    }),
    editing
      ? field({
          label: 'Replace client secret',
          name: 'clientSecret',
          type: 'password',
          autocomplete: 'new-password',
          hint: hasClientSecret
            ? 'A client secret is stored (write-only: it is never shown). Leave this empty to keep it.'
            : 'No client secret is stored. Enter the one your provider issued.',
        })
      : field({
          label: 'Client secret',
          name: 'clientSecret',
          type: 'password',
          autocomplete: 'new-password',
          required: true,
          hint: 'Stored encrypted and never shown again.',
        }),
    more(
      'Scopes, claims and algorithms',
      field({
        label: 'Scopes',
        name: 'config.scopes',
        value: c.scopes.join(' '),
        hint: 'Separated by spaces; must include openid. Add the one that releases groups, often “groups”.',
      }),
      field({
        label: 'Groups claim',
        name: 'config.groupsClaim',
        value: c.groupsClaim,
        hint: 'A claim name or a dotted path into the claims, e.g. realm_access.roles.',
      }),
      field({ label: 'Username claim', name: 'config.usernameClaim', value: c.usernameClaim }),
      field({
        label: 'ID token signing algorithms',
        name: 'config.idTokenSigningAlgs',
        value: c.idTokenSigningAlgs.join(' '),
        hint: 'Separated by spaces: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (never none).',
      }),
    ),
  ];
}

function oidcConfigFrom(v) {
  return {
    issuer: String(v['config.issuer'] ?? '').trim(),
    clientId: String(v['config.clientId'] ?? '').trim(),
    scopes: words(v['config.scopes']),
    groupsClaim: String(v['config.groupsClaim'] ?? '').trim(),
    usernameClaim: String(v['config.usernameClaim'] ?? '').trim(),
    idTokenSigningAlgs: words(v['config.idTokenSigningAlgs']),
  };
}

const nameField = (value) =>
  field({
    label: 'Name',
    name: 'name',
    value,
    required: true,
    hint: 'Shown to people on the sign-in page: “Sign in with <name>”.',
  });

const enabledField = () =>
  field({
    label: 'Enabled',
    name: 'enabled',
    type: 'checkbox',
    value: true,
    hint: 'An enabled provider is offered on your sign-in page at once.',
  });

const cancel = (close) =>
  h('button', { class: 'button button-secondary', type: 'button', onclick: close }, 'Cancel');

async function created(ctx, close, body) {
  const provider = await api.post('/identity-providers', body);
  close();
  notify(`${provider.name} is connected. Configure Canopy at the provider with the URLs shown.`);
  ctx.go(providerPath(provider.id));
}

function connectSaml(ctx) {
  openDialog('Connect a SAML provider', (close) =>
    providerForm({
      fields: [
        nameField(''),
        group(
          'From the IdP’s metadata',
          metadataFields(
            'IdP metadata XML',
            'Paste the metadata document your IdP offers for download: it supplies the entity id, ' +
              'the sign-on URL and the signing certificates.',
          ),
        ),
        samlSettingFields(SAML_DEFAULTS),
        enabledField(),
      ],
      submit: 'Connect provider',
      secondary: cancel(close),
      onSubmit: (v) => {
        const config = samlConfigFrom(v);
        // What the metadata may supply is sent only when typed, so the document can fill it in.
        if (!config.entityId) delete config.entityId;
        if (!config.ssoUrl) delete config.ssoUrl;
        if (!config.signingCertificates.length) delete config.signingCertificates;
        const metadataXml = String(v.metadataXml ?? '').trim() ? v.metadataXml : undefined;
        return created(ctx, close, { kind: 'saml', name: v.name, enabled: v.enabled, metadataXml, config });
      },
    }),
  );
}

function connectOidc(ctx) {
  openDialog('Connect an OIDC provider', (close) =>
    providerForm({
      fields: [
        hint(
          'Register Canopy at your provider as a confidential web app first; its page here then shows the ' +
            'redirect URI to register.',
        ),
        nameField(''),
        oidcSettingFields(OIDC_DEFAULTS),
        enabledField(),
      ],
      submit: 'Connect provider',
      secondary: cancel(close),
      onSubmit: (v) =>
        created(ctx, close, {
          kind: 'oidc',
          name: v.name,
          enabled: v.enabled,
          config: oidcConfigFrom(v),
          clientSecret: v.clientSecret,
        }),
    }),
  );
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
  ].filter(Boolean); // the router appends what it gets: a skipped section must not become "false"
}

/** Enabled or not, and the switch (PATCH `{ enabled }`); a refusal (FED-5) shows here. */
function statusPanel(ctx, provider, canManage) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const on = provider.enabled;
  const toggle =
    canManage &&
    h(
      'button',
      { class: on ? 'button button-secondary button-danger' : 'button', type: 'button' },
      on ? 'Disable provider' : 'Enable provider',
    );
  if (toggle)
    toggle.addEventListener('click', async () => {
      status.replaceChildren();
      if (
        on &&
        !(await confirmAction(
          `Disable ${provider.name}?`,
          'People cannot sign in through it until it is enabled again, and it leaves the sign-in page. ' +
            'Its settings and group mappings are kept.',
          'Disable',
        ))
      )
        return;
      try {
        await busy(toggle, () => api.patch(providerPath(provider.id), { enabled: !on }), 'Saving…');
        notify(on ? `${provider.name} is disabled.` : `${provider.name} is enabled.`);
        ctx.rerender();
      } catch (err) {
        status.replaceChildren(errorBox(err));
        status.querySelector('[role=alert]')?.focus?.();
      }
    });
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
  const button = h(
    'button',
    { class: 'button button-secondary button-small', type: 'button', 'aria-label': `Copy ${label}` },
    'Copy',
  );
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      notify(`${label} copied.`);
    } catch {
      // No clipboard (insecure origin, permission refused): select it for a manual copy.
      window.getSelection()?.selectAllChildren(text);
      notify('Copying was not allowed here: the text is selected, press Ctrl+C (⌘C on a Mac).', 'error');
    }
  });
  return [h('dt', null, label), h('dd', { class: 'idp-copy' }, text, button)];
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

/** Only what changed is sent: PATCH merges `config` into the current settings. */
function changes(current, next) {
  const out = {};
  for (const [key, value] of Object.entries(next)) {
    if (value !== undefined && !same(value, current[key])) out[key] = value;
  }
  return out;
}

function editProvider(ctx, provider) {
  const saml = provider.kind === 'saml';
  openDialog(`Edit ${provider.name}`, (close) =>
    providerForm({
      fields: [
        nameField(provider.name),
        saml
          ? [
              group(
                'Import new IdP metadata',
                metadataFields(
                  'IdP metadata XML (optional)',
                  'Its entity id, sign-on URL and certificates replace the current ones. Leave empty to keep them.',
                ),
              ),
              samlSettingFields({ ...SAML_DEFAULTS, ...provider.config }, { editing: true }),
            ]
          : oidcSettingFields(
              { ...OIDC_DEFAULTS, ...provider.config },
              {
                editing: true,
                hasClientSecret: provider.hasClientSecret,
              },
            ),
      ],
      submit: 'Save changes',
      secondary: cancel(close),
      onSubmit: async (v) => {
        const body = {};
        if (v.name !== provider.name) body.name = v.name;
        const next = saml ? samlConfigFrom(v) : oidcConfigFrom(v);
        const config = changes(provider.config, next);
        if (saml && same(pemBodies(next.signingCertificates), pemBodies(provider.config.signingCertificates)))
          delete config.signingCertificates;
        if (Object.keys(config).length) body.config = config;
        if (saml && String(v.metadataXml ?? '').trim()) body.metadataXml = v.metadataXml;
        if (!saml && v.clientSecret) body.clientSecret = v.clientSecret;
        if (!Object.keys(body).length) {
          close();
          notify('Nothing was changed.');
          return;
        }
        await api.patch(providerPath(provider.id), body);
        close();
        notify(body.clientSecret ? 'Saved; the client secret was replaced.' : 'Saved.');
        ctx.rerender();
      },
    }),
  );
}

/** Certificates compared without their line breaks (the API stores them normalised). */
const pemBodies = (list) => list.map((pem) => pem.replace(/\s+/g, ''));

// ---------------------------------------------------------------------------------------------
// Group mappings (FED-4)

/** Environment names of the nodes `orgIds`, as id → name; a node whose list fails is left out. */
async function environmentNames(orgIds) {
  const names = new Map();
  const lists = await Promise.all(
    [...new Set(orgIds)].map((orgId) =>
      api.get(`/organizations/${encodeURIComponent(orgId)}/environments`).catch(() => ({ environments: [] })),
    ),
  );
  for (const { environments } of lists) for (const e of environments) names.set(e.id, e.name);
  return names;
}

async function mappingsSection(ctx, provider) {
  const base = `${providerPath(provider.id)}/group-mappings`;
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
  const assignable = ctx.can('idp.manage') ? ctx.nodesWith('roles.assign') : [];
  const add =
    assignable.length > 0 &&
    h(
      'button',
      { class: 'button', type: 'button', onclick: () => addMapping(ctx, provider, roles, assignable) },
      'Add group mapping',
    );
  const remove = (m) =>
    actionButton(
      'Remove',
      async () => {
        const what = `“${m.group}” → ${roleNames.get(m.roleId) ?? 'a role'} on ${ctx.pathName(m.organizationId)}`;
        if (
          !(await confirmAction(
            'Remove this group mapping?',
            `${what}. People who got the role through it lose it at their next sign-in through ${provider.name}.`,
            'Remove',
          ))
        )
          return;
        await api.del(`${base}/${encodeURIComponent(m.id)}`);
        notify(`The mapping of “${m.group}” is removed.`);
        ctx.rerender();
      },
      { danger: true, busyLabel: 'Removing…' },
    );
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

/** The environment choices of a node: the whole node, or one environment of it (ROLE-3). */
async function fillEnvironments(select, orgId) {
  select.disabled = true;
  select.replaceChildren(h('option', { value: '' }, 'Whole node'));
  try {
    const { environments } = await api.get(`/organizations/${encodeURIComponent(orgId)}/environments`);
    for (const e of environments) select.append(h('option', { value: e.id }, e.name));
  } catch {
    // Listing is open to any member; should it fail, the whole node stays available.
  } finally {
    select.disabled = false;
  }
}

function addMapping(ctx, provider, roles, nodes) {
  openDialog('Add group mapping', (close) => {
    const envField = field({
      label: 'Environment',
      name: 'environmentId',
      type: 'select',
      options: [{ value: '', label: 'Whole node' }],
      hint: 'One environment only for roles whose permissions all allow it (credentials, analytics, API alerts).',
    });
    const envSelect = envField.querySelector('select');
    const nodeField = field({
      label: 'Node',
      name: 'organizationId',
      type: 'select',
      options: nodes.map((n) => ({ value: n.id, label: ctx.pathName(n.id) })),
      value: nodes[0]?.id,
    });
    const nodeSelect = nodeField.querySelector('select');
    const inheritField = field({
      label: 'Also applies to every business group below',
      name: 'inherit',
      type: 'checkbox',
      value: false,
      hint: 'Not with one environment: such a mapping applies to that environment of the node only.',
    });
    const inherit = inheritField.querySelector('input');
    // ROLE-3: an environment-scoped assignment never inherits, so the choice is not offered then.
    const syncInherit = () => {
      inherit.disabled = envSelect.value !== '';
      if (inherit.disabled) inherit.checked = false;
    };
    envSelect.addEventListener('change', syncInherit);
    nodeSelect.addEventListener('change', async () => {
      await fillEnvironments(envSelect, nodeSelect.value);
      syncInherit();
    });
    void fillEnvironments(envSelect, nodeSelect.value);
    return form({
      fields: [
        field({
          label: 'Group name',
          name: 'group',
          required: true,
          spellcheck: 'false',
          hint: 'Exactly as the provider sends it (letter case counts).',
        }),
        field({
          label: 'Role',
          name: 'roleId',
          type: 'select',
          required: true,
          options: [
            { value: '', label: 'Choose a role…' },
            ...roles.map((r) => ({ value: r.id, label: r.name })),
          ],
        }),
        nodeField,
        envField,
        inheritField,
      ],
      submit: 'Add mapping',
      secondary: cancel(close),
      onSubmit: async (v) => {
        if (!v.roleId)
          throw { message: 'Choose a role.', fields: [{ field: 'roleId', problem: 'is required' }] };
        await api.post(`${providerPath(provider.id)}/group-mappings`, {
          group: v.group,
          roleId: v.roleId,
          organizationId: v.organizationId,
          environmentId: v.environmentId || null,
          inherit: v.inherit ?? false,
        });
        close();
        const role = roles.find((r) => r.id === v.roleId)?.name ?? 'the role';
        notify(`“${v.group}” now maps to ${role} on ${ctx.pathName(v.organizationId)}.`);
        ctx.rerender();
      },
    });
  });
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
      actionButton(
        'Delete provider',
        async () => {
          const sure = await confirmAction(
            `Delete ${provider.name}?`,
            'Its users stay in Canopy but can no longer sign in through it, and the roles its group mappings ' +
              'granted are revoked now. This cannot be undone.',
            'Delete provider',
          );
          if (!sure) return;
          await api.del(providerPath(provider.id));
          notify(`${provider.name} is deleted.`);
          ctx.go('/identity-providers');
        },
        { danger: true, busyLabel: 'Deleting…' },
      ),
    ),
  );
}
