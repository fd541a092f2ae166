// The settings of a SAML 2.0 identity provider (FED-1, FED-2): the IdP metadata field with its file
// picker, the settings one by one (the API's defaults shown, rarely changed ones folded away), and
// the conversion of the form's values into the API's SAML settings.
import { field, h, hint, uid } from '../dom.js';
import { group, more } from './idp-form.js';

const MAX_METADATA_BYTES = 256 * 1024;

// The API's defaults (idp.validation.ts), shown in the connect forms so nothing is hidden.
export const SAML_DEFAULTS = {
  entityId: '',
  ssoUrl: '',
  signingCertificates: [],
  wantResponseSigned: true,
  wantAssertionsSigned: true,
  allowIdpInitiated: false,
  clockSkewSeconds: 60,
  attributes: { username: 'uid', email: 'email', name: 'displayName', groups: 'groups' },
};

/** The PEM blocks of a textarea; text without any is sent whole so the API can say what is wrong. */
function pems(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return [];
  return trimmed.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [trimmed];
}

/** Certificates compared without their line breaks (the API stores them normalised). */
export const pemBodies = (list) => list.map((pem) => pem.replace(/\s+/g, ''));

/** The IdP metadata textarea, with a file picker that reads the file into it (nothing is uploaded). */
export function metadataFields(label, help) {
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

export function samlSettingFields(c, { editing = false } = {}) {
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
export function samlConfigFrom(v) {
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
