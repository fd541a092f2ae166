// The URLs Canopy answers at for a provider, in one place: the SAML and OIDC sign-in flows must use
// exactly these (the IdP is configured with them).
//   SAML SP entity id and metadata: ${PUBLIC_URL}/saml/${providerId}/metadata (GET, public)
//   SAML assertion consumer (ACS):  ${PUBLIC_URL}/saml/${providerId}/acs      (POST binding)
//   OIDC redirect URI:              ${PUBLIC_URL}/federation/oidc/${providerId}/callback
// A URL per provider (not one shared callback) is a second guard against mix-up (E-reliability §3.1).

export interface FederationUrls {
  spEntityId: string;
  spMetadataUrl: string;
  acsUrl: string;
  oidcRedirectUri: string;
}

export function federationUrls(publicUrl: string, providerId: string): FederationUrls {
  const base = publicUrl.replace(/\/+$/, '');
  const id = encodeURIComponent(providerId);
  return {
    spEntityId: `${base}/saml/${id}/metadata`,
    spMetadataUrl: `${base}/saml/${id}/metadata`,
    acsUrl: `${base}/saml/${id}/acs`,
    oidcRedirectUri: `${base}/federation/oidc/${id}/callback`,
  };
}

/** The NameID format asked for: persistent, so the subject stays stable and is never an email. */
export const SP_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text and attribute values: the five XML escapes, and characters XML 1.0 cannot carry dropped. */
export function xmlEscape(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

type XmlNode = { name: string; attrs?: Record<string, string>; children?: XmlNode[]; text?: string };

/** Every name is ours; every value goes through xmlEscape. */
function render(node: XmlNode, indent = ''): string {
  const attrs = Object.entries(node.attrs ?? {})
    .map(([k, v]) => ` ${k}="${xmlEscape(v)}"`)
    .join('');
  if (node.text !== undefined) return `${indent}<${node.name}${attrs}>${xmlEscape(node.text)}</${node.name}>`;
  if (!node.children?.length) return `${indent}<${node.name}${attrs}/>`;
  const inner = node.children.map((c) => render(c, `${indent}  `)).join('\n');
  return `${indent}<${node.name}${attrs}>\n${inner}\n${indent}</${node.name}>`;
}

/** FED-6: the service-provider metadata an IdP imports for this provider. */
export function spMetadataXml(input: {
  publicUrl: string;
  providerId: string;
  providerName: string;
  organizationName: string;
  wantAssertionsSigned: boolean;
}): string {
  const urls = federationUrls(input.publicUrl, input.providerId);
  const lang = { 'xml:lang': 'en' };
  const root: XmlNode = {
    name: 'md:EntityDescriptor',
    attrs: { 'xmlns:md': 'urn:oasis:names:tc:SAML:2.0:metadata', entityID: urls.spEntityId },
    children: [
      {
        name: 'md:SPSSODescriptor',
        attrs: {
          AuthnRequestsSigned: 'false',
          WantAssertionsSigned: String(input.wantAssertionsSigned),
          protocolSupportEnumeration: 'urn:oasis:names:tc:SAML:2.0:protocol',
        },
        children: [
          { name: 'md:NameIDFormat', text: SP_NAME_ID_FORMAT },
          {
            name: 'md:AssertionConsumerService',
            attrs: {
              Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
              Location: urls.acsUrl,
              index: '0',
              isDefault: 'true',
            },
          },
        ],
      },
      {
        name: 'md:Organization',
        children: [
          { name: 'md:OrganizationName', attrs: lang, text: input.organizationName },
          { name: 'md:OrganizationDisplayName', attrs: lang, text: input.providerName },
          { name: 'md:OrganizationURL', attrs: lang, text: input.publicUrl },
        ],
      },
    ],
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root)}\n`;
}
