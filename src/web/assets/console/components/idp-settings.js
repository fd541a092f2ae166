// The settings of an identity provider (FED-1…FED-3): the dialogs that connect a SAML 2.0 or OIDC
// provider and edit one, with their fields (the API's defaults shown, rarely changed ones folded
// away) and the conversion of the form's values into the API's settings.
import { api } from '../api.js';
import { closeButton, field, form, h, hint, notify, openDialog, uid } from '../dom.js';

const MAX_METADATA_BYTES = 256 * 1024;

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

export const providerPath = (id) => `/identity-providers/${encodeURIComponent(id)}`;
const words = (text) =>
  String(text ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);

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

/** Certificates compared without their line breaks (the API stores them normalised). */
const pemBodies = (list) => list.map((pem) => pem.replace(/\s+/g, ''));

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

async function created(ctx, close, body) {
  const provider = await api.post('/identity-providers', body);
  close();
  notify(`${provider.name} is connected. Configure Canopy at the provider with the URLs shown.`);
  ctx.go(providerPath(provider.id));
}

/** The dialog "Connect a SAML provider": from the IdP's metadata, or setting by setting. */
export function connectSaml(ctx) {
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
      secondary: closeButton(close),
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

/** The dialog "Connect an OIDC provider". */
export function connectOidc(ctx) {
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
      secondary: closeButton(close),
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

/** Only what changed is sent: PATCH merges `config` into the current settings. */
function changes(current, next) {
  const out = {};
  for (const [key, value] of Object.entries(next)) {
    if (value !== undefined && !same(value, current[key])) out[key] = value;
  }
  return out;
}

/** The dialog "Edit <name>": only what changed is sent, and a new client secret only when typed. */
export function editProvider(ctx, provider) {
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
      secondary: closeButton(close),
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
