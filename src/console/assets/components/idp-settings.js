// The dialogs that connect a SAML 2.0 or OIDC identity provider and edit one (FED-1…FED-3); the
// fields of each kind are in idp-saml-settings.js and idp-oidc-settings.js.
import { api } from '../api.js';
import { closeButton, notify, openDialog } from '../dialogs.js';
import { field, hint } from '../dom.js';
import { group, providerForm } from './idp-form.js';
import { OIDC_DEFAULTS, oidcConfigFrom, oidcSettingFields } from './idp-oidc-settings.js';
import {
  metadataFields,
  pemBodies,
  SAML_DEFAULTS,
  samlConfigFrom,
  samlSettingFields,
} from './idp-saml-settings.js';

export const providerPath = (id) => `/identity-providers/${encodeURIComponent(id)}`;

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
