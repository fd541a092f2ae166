import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignedXml } from 'xml-crypto';
import { makeKeyPair, type TestKeyPair } from '../../../test/helpers/saml-idp.ts';
import { parseDomFromString } from './parse-dom.ts';
import { SignatureRefused, verifiedSignedXml, type XmlElement } from './verified-xml.ts';

// The signature shapes verifiedSignedXml refuses. Through the SAML flow node-saml makes the same
// checks first (test/federation/saml-attacks.test.ts), so these are the only tests that reach ours.

const KEYS = makeKeyPair('verified-xml');
const OTHER = makeKeyPair('verified-xml-other');
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/** Signs the document element enveloped, the signature its last child, as a SAML IdP does. */
function signRoot(xml: string, keys: TestKeyPair, transforms = [ENVELOPED, EXC_C14N]): string {
  const signer = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({
    xpath: '/*',
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms,
  });
  signer.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'append' } });
  return signer.getSignedXml();
}

async function verify(xml: string, certificates = [KEYS.cert]) {
  const dom = await parseDomFromString(xml);
  return verifiedSignedXml(xml, dom.documentElement as unknown as XmlElement, certificates);
}

async function refused(xml: string, reason: RegExp) {
  await assert.rejects(verify(xml), (err: unknown) => {
    assert.ok(err instanceof SignatureRefused, String(err));
    assert.match(err.reason, reason);
    return true;
  });
}

const SIGNED = signRoot('<r:Root xmlns:r="urn:test" ID="_root"><r:Name>alice</r:Name></r:Root>', KEYS);

describe('verifiedSignedXml', () => {
  test('returns the signed element as xml-crypto verified it, and nothing around it', async () => {
    const bytes = (await verify(SIGNED)) ?? '';
    assert.ok(bytes.includes('<r:Name>alice</r:Name>'));
    assert.ok(!bytes.includes('SignatureValue'), 'the enveloped signature is not part of what it signs');
  });

  test('tries each certificate: a wrong one first does not hide the right one', async () => {
    assert.ok(await verify(SIGNED, [OTHER.cert, KEYS.cert]));
    assert.equal(await verify(SIGNED, [OTHER.cert]), null);
    assert.equal(await verify(SIGNED, []), null);
  });

  test('null for an unsigned element or altered content', async () => {
    assert.equal(await verify('<r:Root xmlns:r="urn:test" ID="_root"/>'), null);
    assert.equal(await verify(SIGNED.replace('alice', 'mallory')), null);
  });

  test('CRLF line endings do not break a signature made over LF', async () => {
    const signed = signRoot('<r:Root xmlns:r="urn:test" ID="_root"><r:Name>a\nb</r:Name></r:Root>', KEYS);
    assert.ok(await verify(signed.replace('a\nb', 'a\r\nb')));
  });

  test('two signatures on one element: refused', async () => {
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(SIGNED)![0];
    await refused(SIGNED.replace('</r:Root>', `${signature}</r:Root>`), /2 signatures/);
  });

  test('more than two transforms: refused', async () => {
    const xml = '<r:Root xmlns:r="urn:test" ID="_root"><r:Name>alice</r:Name></r:Root>';
    await refused(signRoot(xml, KEYS, [ENVELOPED, EXC_C14N, EXC_C14N]), /3 transforms/);
  });

  test('a reference to another element (wrapping): refused', async () => {
    const moved = SIGNED.replace('ID="_root"', 'ID="_elsewhere"').replace('<r:Name>', '<r:Name ID="_root">');
    await refused(moved, /another element/);
  });

  test('an ID carried by two elements: refused', async () => {
    await refused(SIGNED.replace('<r:Name>', '<r:Name ID="_root">'), /2 elements/);
  });

  test('a reference without an ID, or with a quote in it: refused', async () => {
    await refused(SIGNED.replace('URI="#_root"', 'URI=""'), /without an ID/);
    await refused(SIGNED.replace('URI="#_root"', `URI="#_root' or '1'='1"`), /quote/);
  });
});
