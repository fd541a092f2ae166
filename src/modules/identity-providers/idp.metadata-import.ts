import { DOMParser } from '@xmldom/xmldom';

// FED-1: a SAML provider's entity id, sign-on URL and signing certificates, read from the IdP's
// metadata document (what Okta, Entra ID, ADFS, Keycloak offer for download) so the admin does not
// copy them by hand. Only what our flow uses is read; the result is validated by the same strict
// schema as typed settings (idp.validation.ts), so nothing here needs to be trusted further.

export const MAX_METADATA_CHARS = 256 * 1024;

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface ImportedSamlSettings {
  entityId: string;
  ssoUrl: string;
  signingCertificates: string[];
}

/** A document we cannot use; the message says why, for the admin (it ends up under `metadataXml`). */
export class MetadataImportError extends Error {
  override name = 'MetadataImportError';
}

// The DTD is where entity expansion (billion laughs) and external entities (XXE) live; metadata
// never needs one, so any document declaring one is refused before a parser sees it (FED-6).
const DTD = /<!DOCTYPE|<!ENTITY/i;

export function importSamlMetadata(xml: string): ImportedSamlSettings {
  if (DTD.test(xml)) throw new MetadataImportError('must not contain a DOCTYPE or ENTITY declaration');
  const idp = theIdpDescriptor(parse(xml));
  const entity = idp.parentNode as Element | null;
  const entityId = entity && isMd(entity, 'EntityDescriptor') ? entity.getAttribute('entityID')?.trim() : '';
  if (!entityId) throw new MetadataImportError('the EntityDescriptor has no entityID');
  return { entityId, ssoUrl: redirectSsoUrl(idp), signingCertificates: signingCertificates(idp) };
}

/** The settings, or the problem as the admin should read it (validation names it `metadataXml`). */
export function settingsFromMetadata(xml: string): Partial<ImportedSamlSettings> | { problem: string } {
  try {
    return importSamlMetadata(xml);
  } catch (err) {
    if (err instanceof MetadataImportError) return { problem: err.message };
    throw err;
  }
}

function parse(xml: string): Document {
  const problems: string[] = [];
  // xmldom reports malformed input to this handler and carries on; any error makes the document
  // unusable (a half-parsed tree could hide or invent elements).
  const record = (msg: string) => {
    problems.push(msg.replace(/^\[xmldom \w+\]\s*/, '').split('\n')[0]!);
  };
  let doc: Document | undefined;
  try {
    doc = new DOMParser({
      errorHandler: { warning: () => {}, error: record, fatalError: record },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    record(err instanceof Error ? err.message : String(err));
  }
  if (problems.length > 0 || !doc?.documentElement) {
    throw new MetadataImportError(`is not well-formed XML${problems[0] ? `: ${problems[0]}` : ''}`);
  }
  const root = doc.documentElement;
  if (!isMd(root, 'EntityDescriptor') && !isMd(root, 'EntitiesDescriptor')) {
    throw new MetadataImportError(
      `is not SAML 2.0 metadata: the root element must be an EntityDescriptor in the ${MD} namespace`,
    );
  }
  return doc;
}

function theIdpDescriptor(doc: Document): Element {
  const found = Array.from(doc.getElementsByTagNameNS(MD, 'IDPSSODescriptor'));
  if (found.length === 0)
    throw new MetadataImportError('describes no identity provider (no IDPSSODescriptor)');
  if (found.length > 1) {
    // Aggregates (a federation's metadata, several tenants) must not make us pick one by guess.
    throw new MetadataImportError(
      `describes ${found.length} identity providers: import the metadata of exactly one (a single EntityDescriptor)`,
    );
  }
  return found[0]!;
}

function redirectSsoUrl(idp: Element): string {
  const services = childrenOf(idp, MD, 'SingleSignOnService');
  const redirect = services.find((s) => s.getAttribute('Binding') === REDIRECT);
  const location = redirect?.getAttribute('Location')?.trim();
  if (location) return location;
  if (services.some((s) => s.getAttribute('Binding') === POST)) {
    // Canopy sends its AuthnRequest by redirecting the browser; an IdP reachable only by POST
    // would need a self-submitting form we do not have.
    throw new MetadataImportError(
      'offers single sign-on only with the HTTP-POST binding; Canopy needs the HTTP-Redirect binding (enable it at the IdP)',
    );
  }
  throw new MetadataImportError('has no SingleSignOnService with the HTTP-Redirect binding');
}

/** KeyDescriptors for signing (or for any use) of this IdP role only: not the document's own Signature. */
function signingCertificates(idp: Element): string[] {
  const pems: string[] = [];
  for (const key of childrenOf(idp, MD, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const info of childrenOf(key, DS, 'KeyInfo'))
      for (const data of childrenOf(info, DS, 'X509Data'))
        for (const cert of childrenOf(data, DS, 'X509Certificate')) {
          const pem = toPem(cert.textContent ?? '');
          if (!pems.includes(pem)) pems.push(pem); // IdPs often repeat one certificate per use
        }
  }
  if (pems.length === 0) {
    throw new MetadataImportError(
      'has no signing certificate (KeyDescriptor use="signing" with KeyInfo/X509Data/X509Certificate)',
    );
  }
  return pems;
}

function toPem(text: string): string {
  const base64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new MetadataImportError('holds an X509Certificate that is not base64');
  }
  const lines = base64.match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

function isMd(el: Element, localName: string): boolean {
  return el.namespaceURI === MD && el.localName === localName;
}

function childrenOf(parent: Element, ns: string, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (n): n is Element =>
      n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === localName,
  );
}
