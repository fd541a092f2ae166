import { CERT_A, CERT_B } from './idp-fixtures.ts';

// IdP metadata documents shaped like what Entra ID and Okta publish, for the FED-1 import tests.
// They carry the distractors real documents have: a document signature with its own certificate,
// an encryption key, a WS-Federation role with another key, SingleLogoutService.

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** The base64 body of a PEM certificate, as metadata carries it. */
export const certBody = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

export const ENTRA_ENTITY_ID = 'https://sts.windows.net/7d1c3e4b-0000-4000-8000-00000000c0de/';
export const ENTRA_SSO_URL = 'https://login.microsoftonline.com/7d1c3e4b-0000-4000-8000-00000000c0de/saml2';

const keyInfo = (pem: string) =>
  `<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${certBody(pem)}</X509Certificate></X509Data></KeyInfo>`;

/** Entra ID style: default md namespace, the IdP role after a WS-Fed role, signed document. */
export function entraMetadata(options: { bindings?: string[]; cert?: string } = {}): string {
  const bindings = options.bindings ?? [REDIRECT, POST];
  const sso = bindings
    .map((b) => `    <SingleSignOnService Binding="${b}" Location="${ENTRA_SSO_URL}"/>`)
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_5a3b1c2d-0000-4000-8000-000000000001" entityID="${ENTRA_ENTITY_ID}" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
    <SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></SignedInfo>
    <SignatureValue>bm90IGEgcmVhbCBzaWduYXR1cmU=</SignatureValue>
    ${keyInfo(CERT_B)}
  </Signature>
  <RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">
    <KeyDescriptor use="signing">${keyInfo(CERT_B)}</KeyDescriptor>
  </RoleDescriptor>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      ${keyInfo(options.cert ?? CERT_A)}
    </KeyDescriptor>
    <SingleLogoutService Binding="${REDIRECT}" Location="${ENTRA_SSO_URL}"/>
${sso}
  </IDPSSODescriptor>
</EntityDescriptor>
`;
}

export const OKTA_ENTITY_ID = 'http://www.okta.com/exk1a2b3c4d5e6f7g8h9';
export const OKTA_SSO_URL = 'https://acme.okta.com/app/acme_canopy_1/exk1a2b3c4d5e6f7g8h9/sso/saml';

/** Okta style: md: and ds: prefixes, a KeyDescriptor without `use`, one for encryption. */
export function oktaMetadata(cert: string = CERT_A): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${OKTA_ENTITY_ID}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor>
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>
${certBody(cert)
  .match(/.{1,76}/g)!
  .join('\n')}
          </ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:KeyDescriptor use="encryption">${keyInfo(cert === CERT_A ? CERT_B : CERT_A)}</md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:SingleSignOnService Binding="${POST}" Location="${OKTA_SSO_URL}"/>
    <md:SingleSignOnService Binding="${REDIRECT}" Location="${OKTA_SSO_URL}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
}

/** A federation aggregate: several IdPs in one document. */
export function aggregateMetadata(): string {
  const entity = (id: string) =>
    oktaMetadata()
      .replace(/^<\?xml[^>]*>\n/, '')
      .replace(OKTA_ENTITY_ID, id);
  return `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">
${entity('https://idp-one.example.test')}${entity('https://idp-two.example.test')}</md:EntitiesDescriptor>`;
}
