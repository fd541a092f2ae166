import { parseDomFromString } from '../../platform/xml/parse-dom.ts';
import { SamlRejected } from './saml-errors.ts';

// Reading SAML XML for Canopy's own checks. Nothing here decides trust: the caller hands in either
// bytes that node-saml verified (the signed assertion, the signed Response) or, clearly marked, the
// raw document for structural checks that can only make Canopy stricter.

/** Decoded size cap, checked before anything parses or inflates (E-reliability §2.1, DoS). */
export const MAX_RESPONSE_BYTES = 256 * 1024;

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
} as const;

/** The few DOM members used here (the project compiles without the DOM lib). */
export interface XmlNode {
  nodeType: number;
  localName?: string | null;
  namespaceURI?: string | null;
  textContent: string | null;
  /** null on xmldom's text and attribute nodes */
  childNodes: { length: number; [index: number]: XmlNode } | null;
  getAttribute?(name: string): string | null;
}

const ELEMENT = 1;

/**
 * The form field as the base64 string node-saml will decode, and the XML it decodes to. Refuses
 * non-strings, non-base64, oversized bodies and any DOCTYPE or ENTITY declaration (entity-based
 * duplicate ids, CVE-2025-23369; XXE) before a parser sees the document.
 */
export function decodeSamlResponse(field: unknown): { base64: string; xml: string } {
  if (typeof field !== 'string' || field.length === 0) throw new SamlRejected('malformed', 'no SAMLResponse');
  const compact = field.replace(/[\r\n\t ]+/g, '');
  if (compact.length > Math.ceil(MAX_RESPONSE_BYTES / 3) * 4) {
    throw new SamlRejected('too_large', `SAMLResponse of ${compact.length} base64 characters`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact))
    throw new SamlRejected('malformed', 'SAMLResponse is not base64');
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_RESPONSE_BYTES) throw new SamlRejected('too_large', `${bytes.length} bytes decoded`);
  const xml = bytes.toString('utf8');
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(xml)) throw new SamlRejected('doctype', 'DOCTYPE or ENTITY declaration');
  return { base64: bytes.toString('base64'), xml };
}

export async function parseXml(xml: string): Promise<XmlNode> {
  try {
    const doc = (await parseDomFromString(xml)) as unknown as { documentElement: XmlNode | null };
    if (!doc.documentElement) throw new Error('no document element');
    return doc.documentElement;
  } catch (err) {
    throw new SamlRejected('malformed', `unparsable XML: ${(err as Error).message}`);
  }
}

export function children(node: XmlNode, ns: string, localName: string): XmlNode[] {
  const found: XmlNode[] = [];
  const list = node.childNodes;
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const child = list![i]!;
    if (child.nodeType === ELEMENT && child.localName === localName && child.namespaceURI === ns)
      found.push(child);
  }
  return found;
}

export function child(node: XmlNode, ns: string, localName: string): XmlNode | undefined {
  return children(node, ns, localName)[0];
}

/** An attribute's value, null when absent or empty. */
export function attr(node: XmlNode | undefined, name: string): string | null {
  const value = node?.getAttribute?.(name);
  return value ? value : null;
}

/** Elements with this local name anywhere below (and including) `node`, in any namespace. */
export function countElements(node: XmlNode, localNames: string[]): number {
  let count = node.nodeType === ELEMENT && localNames.includes(node.localName ?? '') ? 1 : 0;
  const list = node.childNodes;
  for (let i = 0; i < (list?.length ?? 0); i++) count += countElements(list![i]!, localNames);
  return count;
}

/** xs:dateTime to epoch ms; a malformed timestamp refuses the response rather than being skipped. */
export function instant(value: string | null, what: string): number | null {
  if (value === null) return null;
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)
    ? Date.parse(value)
    : NaN;
  if (Number.isNaN(ms)) throw new SamlRejected('malformed', `${what} is not a dateTime`);
  return ms;
}

/** The Response-level facts: from the verified Response when it is signed, else the raw root. */
export function responseFacts(root: XmlNode) {
  if (root.localName !== 'Response' || root.namespaceURI !== NS.protocol) {
    throw new SamlRejected('malformed', 'not a SAML 2.0 Response');
  }
  const status = child(root, NS.protocol, 'Status');
  return {
    destination: attr(root, 'Destination'),
    inResponseTo: attr(root, 'InResponseTo'),
    issuer: child(root, NS.assertion, 'Issuer')?.textContent?.trim() ?? null,
    statusCode: attr(status && child(status, NS.protocol, 'StatusCode'), 'Value'),
  };
}

/** The facts Canopy checks itself, read from the signed assertion's canonical bytes only. */
export function assertionFacts(assertion: XmlNode) {
  if (assertion.localName !== 'Assertion' || assertion.namespaceURI !== NS.assertion) {
    throw new SamlRejected('malformed', 'signed data is not a SAML 2.0 Assertion');
  }
  const subject = child(assertion, NS.assertion, 'Subject');
  const nameIds = subject ? children(subject, NS.assertion, 'NameID') : [];
  const conditions = children(assertion, NS.assertion, 'Conditions');
  if (conditions.length > 1) throw new SamlRejected('malformed', 'more than one Conditions');
  return {
    id: attr(assertion, 'ID'),
    issueInstant: attr(assertion, 'IssueInstant'),
    issuer: child(assertion, NS.assertion, 'Issuer')?.textContent?.trim() ?? null,
    nameIds: nameIds.map((n) => ({ value: n.textContent ?? '', format: attr(n, 'Format') })),
    confirmations: (subject ? children(subject, NS.assertion, 'SubjectConfirmation') : []).map((c) => {
      const data = child(c, NS.assertion, 'SubjectConfirmationData');
      return {
        method: attr(c, 'Method'),
        recipient: attr(data, 'Recipient'),
        inResponseTo: attr(data, 'InResponseTo'),
        notBefore: attr(data, 'NotBefore'),
        notOnOrAfter: attr(data, 'NotOnOrAfter'),
      };
    }),
    conditions: conditions[0]
      ? { notBefore: attr(conditions[0], 'NotBefore'), notOnOrAfter: attr(conditions[0], 'NotOnOrAfter') }
      : null,
    authnStatements: children(assertion, NS.assertion, 'AuthnStatement').length,
  };
}

export type AssertionFacts = ReturnType<typeof assertionFacts>;
export type ResponseFacts = ReturnType<typeof responseFacts>;
