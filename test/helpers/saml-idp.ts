import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

// A SAML identity provider in the test: a throwaway RSA key and certificate (openssl), a response
// builder with every field the SP checks open to change, and xml-crypto signing the way real IdPs
// do (enveloped, exclusive c14n, RSA-SHA256, the Signature right after Issuer).

export interface TestKeyPair {
  key: string;
  cert: string;
}

/** A fresh self-signed RSA 2048 certificate, valid two days. */
export function makeKeyPair(cn = 'test-idp'): TestKeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-saml-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2'].concat([
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

export interface ResponseFields {
  now: Date;
  idpEntityId: string;
  acsUrl: string;
  audience: string;
  /** Response-level InResponseTo; null omits it. */
  inResponseTo: string | null;
  /** SubjectConfirmationData InResponseTo; defaults to inResponseTo; null omits it. */
  confirmationInResponseTo?: string | null;
  destination?: string | null;
  recipient?: string;
  method?: string;
  responseIssuer?: string | null;
  assertionIssuer?: string;
  nameId?: string;
  nameIdFormat?: string | null;
  status?: string;
  responseId?: string;
  assertionId?: string;
  /** Offsets from `now` in seconds. */
  notBeforeS?: number;
  notOnOrAfterS?: number;
  confirmationNotOnOrAfterS?: number;
  issueInstantS?: number;
  attributes?: Record<string, string | string[]>;
}

const iso = (now: Date, offsetS: number) => new Date(now.getTime() + offsetS * 1000).toISOString();
export const newId = () => `_${randomBytes(16).toString('hex')}`;
const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** An unsigned Response with one Assertion; every field defaults to the valid value. */
export function buildResponse(f: ResponseFields): string {
  const scdIrt = f.confirmationInResponseTo === undefined ? f.inResponseTo : f.confirmationInResponseTo;
  const destination = f.destination === undefined ? f.acsUrl : f.destination;
  const responseIssuer = f.responseIssuer === undefined ? f.idpEntityId : f.responseIssuer;
  const format = f.nameIdFormat === undefined ? PERSISTENT : f.nameIdFormat;
  const attrs = Object.entries(f.attributes ?? {})
    .map(([name, v]) => {
      const values = (Array.isArray(v) ? v : [v]).map(
        (x) => `<saml:AttributeValue>${esc(x)}</saml:AttributeValue>`,
      );
      return `<saml:Attribute Name="${esc(name)}">${values.join('')}</saml:Attribute>`;
    })
    .join('');
  return [
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`,
    ` ID="${f.responseId ?? newId()}" Version="2.0" IssueInstant="${iso(f.now, 0)}"`,
    destination === null ? '' : ` Destination="${esc(destination)}"`,
    f.inResponseTo === null ? '' : ` InResponseTo="${f.inResponseTo}"`,
    '>',
    responseIssuer === null ? '' : `<saml:Issuer>${esc(responseIssuer)}</saml:Issuer>`,
    `<samlp:Status><samlp:StatusCode Value="${f.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>`,
    `<saml:Assertion Version="2.0" ID="${f.assertionId ?? newId()}" IssueInstant="${iso(f.now, f.issueInstantS ?? 0)}">`,
    `<saml:Issuer>${esc(f.assertionIssuer ?? f.idpEntityId)}</saml:Issuer>`,
    '<saml:Subject>',
    `<saml:NameID${format === null ? '' : ` Format="${format}"`}>${f.nameId ?? 'employee-4711'}</saml:NameID>`,
    `<saml:SubjectConfirmation Method="${f.method ?? BEARER}">`,
    `<saml:SubjectConfirmationData NotOnOrAfter="${iso(f.now, f.confirmationNotOnOrAfterS ?? 300)}"`,
    ` Recipient="${esc(f.recipient ?? f.acsUrl)}"${scdIrt === null ? '' : ` InResponseTo="${scdIrt}"`}/>`,
    '</saml:SubjectConfirmation></saml:Subject>',
    `<saml:Conditions NotBefore="${iso(f.now, f.notBeforeS ?? -30)}" NotOnOrAfter="${iso(f.now, f.notOnOrAfterS ?? 300)}">`,
    `<saml:AudienceRestriction><saml:Audience>${esc(f.audience)}</saml:Audience></saml:AudienceRestriction>`,
    '</saml:Conditions>',
    `<saml:AuthnStatement AuthnInstant="${iso(f.now, 0)}" SessionIndex="${newId()}">`,
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext>',
    '</saml:AuthnStatement>',
    attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '',
    '</saml:Assertion></samlp:Response>',
  ].join('');
}

const ASSERTION = "//*[local-name(.)='Assertion']";
const RESPONSE = "/*[local-name(.)='Response']";

function signAt(xml: string, keys: TestKeyPair, ref: string): string {
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: ref,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${ref}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** Signs the assertion, then the response, as asked (both by default). */
export function sign(xml: string, keys: TestKeyPair, what: { assertion?: boolean; response?: boolean } = {}) {
  const { assertion = true, response = true } = what;
  const withAssertion = assertion ? signAt(xml, keys, ASSERTION) : xml;
  return response ? signAt(withAssertion, keys, RESPONSE) : withAssertion;
}

export const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** The AuthnRequest ID inside a redirect URL (HTTP-Redirect binding: deflated, base64). */
export function requestIdOf(redirectUrl: string): string {
  const encoded = new URL(redirectUrl).searchParams.get('SAMLRequest')!;
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  return /\sID="([^"]+)"/.exec(xml)![1]!;
}

/** The signed Assertion element of a signed document, as text (for wrapping attacks). */
export function assertionOf(xml: string): string {
  return /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
}
