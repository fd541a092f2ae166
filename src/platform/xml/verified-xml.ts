import { SignedXml } from 'xml-crypto';
import xpath from 'xpath';

// What an XML signature vouches for, as a string of bytes. Signature wrapping attacks leave a valid
// signature in place and move the signed element away from where the reader looks, so this accepts
// only the plain SAML shape (one enveloped signature, over its own parent) and returns the bytes
// xml-crypto verified: callers parse those again and never read the document around them.

const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Enveloped-signature plus one canonicalization: anything longer is not a SAML signature. */
const MAX_TRANSFORMS = 2;

/** A node as xpath and xml-crypto take it. */
export type XmlElement = Parameters<typeof xpath.select>[1];

/** A signature whose shape Canopy does not verify; `reason` is short and quotes nothing secret. */
export class SignatureRefused extends Error {
  override name = 'SignatureRefused';
  readonly reason: string;

  constructor(reason: string) {
    super(`XML signature refused: ${reason}`);
    this.reason = reason;
  }
}

function elementsAt(context: XmlElement, expression: string): XmlElement[] {
  const result = xpath.select(expression, context);
  if (xpath.isArrayOfNodes(result) && result.every(xpath.isElement)) return result;
  throw new TypeError(`XPath ${expression} selected something other than elements`);
}

/** The signature that is a direct child of `element`, or null; more than one is refused. */
function envelopedSignature(element: XmlElement): XmlElement | null {
  const found = elementsAt(element, `./*[local-name(.)='Signature' and namespace-uri(.)='${XMLDSIG}']`);
  if (found.length > 1) throw new SignatureRefused(`${found.length} signatures on one element`);
  const signature = found[0];
  if (!signature) return null;
  const transforms = elementsAt(
    signature,
    `.//*[local-name(.)='Transform' and namespace-uri(.)='${XMLDSIG}']`,
  );
  if (transforms.length > MAX_TRANSFORMS) throw new SignatureRefused(`${transforms.length} transforms`);
  return signature;
}

/**
 * Whether the signature has exactly one reference, naming by ID the element it sits in and no other.
 * False for a count other than one; a reference elsewhere or to an ambiguous ID is refused.
 */
function referencesOnlyItsParent(signature: XmlElement): boolean {
  const reader = new SignedXml();
  reader.loadSignature(signature);
  const references = reader.getReferences();
  if (references.length !== 1 || !signature.parentNode) return false;
  const uri = references[0]?.uri ?? '';
  const id = uri.startsWith('#') ? uri.slice(1) : uri;
  if (id === '') throw new SignatureRefused('reference without an ID');
  // The ID is about to sit between quotes in an XPath expression.
  if (id.includes("'") || id.includes('"')) throw new SignatureRefused('quote in the reference ID');
  const holders = elementsAt(signature.ownerDocument as XmlElement, `//*[@ID="${id}"]`);
  if (holders.length !== 1) throw new SignatureRefused(`${holders.length} elements carry the referenced ID`);
  if (holders[0] !== signature.parentNode) throw new SignatureRefused('reference to another element');
  return true;
}

/** The one signed reference when `certificate` verifies the signature, else null. */
function signedBytes(xml: string, signature: XmlElement, certificate: string): string | null {
  const verifier = new SignedXml({ publicCert: certificate });
  verifier.loadSignature(signature);
  try {
    if (!verifier.checkSignature(xml)) return null;
  } catch {
    return null; // xml-crypto throws on a wrong key: the next certificate may be the right one
  }
  const signed = verifier.getSignedReferences();
  return signed.length === 1 ? (signed[0] ?? null) : null;
}

/**
 * The canonical XML that the enveloped signature of `element` covers, when one of `certificates`
 * verifies it; null when the element is unsigned or no certificate verifies it. Throws
 * SignatureRefused on a shape that only an attack or a broken signer produces.
 */
export function verifiedSignedXml(
  document: string,
  element: XmlElement,
  certificates: readonly string[],
): string | null {
  // xml-crypto expects the XML processor (us) to have normalized line endings.
  const xml = document.replace(/\r\n?/g, '\n');
  const signature = envelopedSignature(element);
  if (!signature || certificates.length === 0) return null;
  if (!referencesOnlyItsParent(signature)) return null;
  for (const certificate of certificates) {
    const bytes = signedBytes(xml, signature, certificate);
    if (bytes !== null) return bytes;
  }
  return null;
}
