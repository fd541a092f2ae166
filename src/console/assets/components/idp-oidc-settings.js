// The settings of an OIDC identity provider (FED-1, FED-3): its fields (the API's defaults shown,
// rarely changed ones folded away, the client secret write-only) and the conversion of the form's
// values into the API's OIDC settings.
import { field } from '../dom.js';
import { more } from './idp-form.js';

// The API's defaults (idp.validation.ts), shown in the connect forms so nothing is hidden.
export const OIDC_DEFAULTS = {
  issuer: '',
  clientId: '',
  scopes: ['openid', 'profile', 'email'],
  groupsClaim: 'groups',
  usernameClaim: 'preferred_username',
  idTokenSigningAlgs: ['RS256', 'ES256'],
};

const words = (text) =>
  String(text ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);

export function oidcSettingFields(c, { editing = false, hasClientSecret = false } = {}) {
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

export function oidcConfigFrom(v) {
  return {
    issuer: String(v['config.issuer'] ?? '').trim(),
    clientId: String(v['config.clientId'] ?? '').trim(),
    scopes: words(v['config.scopes']),
    groupsClaim: String(v['config.groupsClaim'] ?? '').trim(),
    usernameClaim: String(v['config.usernameClaim'] ?? '').trim(),
    idTokenSigningAlgs: words(v['config.idTokenSigningAlgs']),
  };
}
