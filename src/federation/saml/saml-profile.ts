// The signed Response as its signature covers it, and the ExternalProfile built from a signed assertion.
import type { Profile } from '@node-saml/node-saml';
import type { SamlAttributes, SamlConfig } from '../../modules/identity-providers/index.ts';
import { SignatureRefused, verifiedSignedXml, type XmlElement } from '../../platform/xml/verified-xml.ts';
import { type ExternalProfile, groupsFrom } from '../external-profile.ts';
import { rejectionFromLibrary, SamlRejected } from './saml-errors.ts';
import { parseXml, responseFacts } from './saml-xml.ts';

const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

/** The Response as its signature covers it (node-saml checked the same signature already). */
export async function verifiedResponse(xml: string, root: unknown, config: SamlConfig) {
  let verified: string | null;
  try {
    verified = verifiedSignedXml(xml, root as XmlElement, config.signingCertificates);
  } catch (err) {
    if (err instanceof SignatureRefused) throw new SamlRejected('signature', err.reason);
    throw rejectionFromLibrary(err); // xml-crypto's own errors, sorted as node-saml's are
  }
  if (!verified) throw new SamlRejected('signature', 'Response signature required');
  return responseFacts(await parseXml(verified));
}

/** FED-3: the subject is the NameID with its format; the rest comes from configured attributes. */
export function toProfile(
  profile: Profile,
  nameId: { value: string; format: string | null },
  names: SamlAttributes,
): ExternalProfile {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const first = (name: string) => {
    const value = attributes[name];
    const found = (Array.isArray(value) ? value : [value]).find(
      (v) => typeof v === 'string' && v.trim() !== '',
    );
    return typeof found === 'string' ? found.trim() : undefined;
  };
  let groups: string[];
  try {
    groups = groupsFrom(attributes[names.groups]);
  } catch (err) {
    throw new SamlRejected('malformed', (err as Error).message);
  }
  return {
    subject: `${nameId.format ?? UNSPECIFIED}|${nameId.value}`,
    username: first(names.username) ?? nameId.value,
    email: first(names.email),
    name: first(names.name),
    groups,
  };
}
