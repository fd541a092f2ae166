import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { type ApiResponse, expectError } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { CERT_A, CERT_B, oidcProvider } from '../helpers/idp-fixtures.ts';
import {
  aggregateMetadata,
  ENTRA_ENTITY_ID,
  ENTRA_SSO_URL,
  entraMetadata,
  OKTA_ENTITY_ID,
  OKTA_SSO_URL,
  oktaMetadata,
} from '../helpers/idp-metadata-fixtures.ts';

// FED-1: a SAML provider created or updated from its IdP's metadata document, through /api/v1
// (answers checked against the OpenAPI document). FED-6: no DOCTYPE reaches the parser.

const { container: c, api, token: owner } = await apiSuite({ unthrottled: true });

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const create = (body: Record<string, unknown>) =>
  api.call('post', '/identity-providers', { token: owner, body: { kind: 'saml', ...body } });
const count = async () =>
  (await api.call('get', '/identity-providers', { token: owner })).body.identityProviders.length;

/** A 400 naming exactly these fields; the problems, joined, for matching. */
function refused(res: ApiResponse, fields: string[]): string {
  expectError(res, 400, 'request.invalid_input');
  const found = res.body.details.fields as Array<{ field: string; problem: string }>;
  assert.deepEqual(found.map((f) => f.field).sort(), fields);
  return found.map((f) => f.problem).join('; ');
}

describe('identity providers: SAML metadata import (FED-1, FED-6)', () => {
  test('FED-1 an Entra-like document gives entity id, redirect SSO URL and the IdP signing certificate only', async () => {
    const res = await create({ name: 'Entra ID', metadataXml: entraMetadata() });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.config.entityId, ENTRA_ENTITY_ID);
    assert.equal(res.body.config.ssoUrl, ENTRA_SSO_URL);
    // Not the document signature's certificate, nor the WS-Federation role's: CERT_B appears in both.
    assert.deepEqual(
      res.body.certificates.map((x: { sha256Fingerprint: string }) => x.sha256Fingerprint),
      [fingerprint(CERT_A)],
    );
    assert.equal(res.body.config.signingCertificates[0], new X509Certificate(CERT_A).toString());
    assert.equal(res.body.config.wantAssertionsSigned, true);
    assert.equal(res.body.config.wantResponseSigned, true);
    assert.equal('metadataXml' in res.body, false);
  });

  test('FED-1 an Okta-like document (prefixes, KeyDescriptor without use, POST listed first)', async () => {
    const res = await create({ name: 'Okta', metadataXml: oktaMetadata(), config: { clockSkewSeconds: 30 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.config.entityId, OKTA_ENTITY_ID);
    assert.equal(res.body.config.ssoUrl, OKTA_SSO_URL);
    assert.equal(res.body.config.clockSkewSeconds, 30);
    assert.deepEqual(
      res.body.certificates.map((x: { sha256Fingerprint: string }) => x.sha256Fingerprint),
      [fingerprint(CERT_A)],
    );
    // Certificate rollover: PATCH with the new document replaces what it supplies, keeps the rest.
    const patched = await api.call('patch', `/identity-providers/${res.body.id}`, {
      token: owner,
      body: { metadataXml: oktaMetadata(CERT_B) },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.certificates[0].sha256Fingerprint, fingerprint(CERT_B));
    assert.equal(patched.body.config.clockSkewSeconds, 30);
    const audit = await c.database
      .knex('audit_log')
      .where({ action: 'identity_provider.update', target_id: res.body.id })
      .select('after');
    assert.equal(audit.length, 1);
    assert.equal(JSON.stringify(audit[0].after).includes('EntityDescriptor'), false);
  });

  test('FED-1 explicit config values win over the document', async () => {
    const res = await create({
      name: 'Overridden',
      metadataXml: entraMetadata(),
      config: { entityId: 'https://override.example.test/idp', signingCertificates: [CERT_B] },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.config.entityId, 'https://override.example.test/idp');
    assert.equal(res.body.config.ssoUrl, ENTRA_SSO_URL);
    assert.equal(res.body.certificates[0].sha256Fingerprint, fingerprint(CERT_B));
    const patched = await api.call('patch', `/identity-providers/${res.body.id}`, {
      token: owner,
      body: { metadataXml: oktaMetadata(), config: { ssoUrl: 'https://sso.example.test/x' } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.config.entityId, OKTA_ENTITY_ID);
    assert.equal(patched.body.config.ssoUrl, 'https://sso.example.test/x');
  });

  test('FED-6 a DOCTYPE or ENTITY declaration is refused before parsing, nothing created', async () => {
    const before = await count();
    const doctype = entraMetadata().replace(
      '<EntityDescriptor',
      '<!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<EntityDescriptor',
    );
    const lower = `<!doctype foo>${oktaMetadata()}`;
    const entity = oktaMetadata().replace('<md:KeyDescriptor>', '<!ENTITY lol "lol"><md:KeyDescriptor>');
    for (const metadataXml of [doctype, lower, entity]) {
      const problem = refused(await create({ name: 'XXE', metadataXml }), ['metadataXml']);
      assert.match(problem, /DOCTYPE or ENTITY/);
    }
    assert.equal(await count(), before);
  });

  test('FED-1 a document with several IdPs is refused: import one', async () => {
    const problem = refused(await create({ name: 'Aggregate', metadataXml: aggregateMetadata() }), [
      'metadataXml',
    ]);
    assert.match(problem, /describes 2 identity providers: import the metadata of exactly one/);
  });

  test('FED-1 an IdP offering only the HTTP-POST binding is refused', async () => {
    const postOnly = entraMetadata({ bindings: ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'] });
    const problem = refused(await create({ name: 'POST only', metadataXml: postOnly }), ['metadataXml']);
    assert.match(problem, /only with the HTTP-POST binding; Canopy needs the HTTP-Redirect binding/);
  });

  test('FED-1 garbage, other XML and wrong namespaces are refused with a 400 naming metadataXml', async () => {
    const cases: Array<[string, RegExp]> = [
      ['this is not xml', /not well-formed XML|not SAML 2.0 metadata/],
      ['<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><unclosed>', /XML/],
      ['<html><body>Sign in</body></html>', /not SAML 2.0 metadata/],
      [oktaMetadata().replaceAll('urn:oasis:names:tc:SAML:2.0:metadata', 'urn:example:md'), /not SAML 2.0/],
      [oktaMetadata().replaceAll('http://www.w3.org/2000/09/xmldsig#', 'urn:x'), /no signing certificate/],
      [oktaMetadata().replace(/(<ds:X509Certificate>)[^<]+/, '$1!!!'), /not base64/],
      [oktaMetadata().replace(/(<ds:X509Certificate>)[^<]+/, '$1QUJD'), /signingCertificates.0: /],
      [oktaMetadata().replace(/IDPSSODescriptor/g, 'SPSSODescriptor'), /no identity provider/],
      [oktaMetadata().replace(` entityID="${OKTA_ENTITY_ID}"`, ''), /no entityID/],
      ['', /not well-formed XML/],
    ];
    for (const [metadataXml, expected] of cases) {
      const problem = refused(await create({ name: 'Garbage', metadataXml }), ['metadataXml']);
      assert.match(problem, expected, metadataXml.slice(0, 80));
    }
  });

  test('FED-1 the imported settings pass the same strict checks (https, size, required fields)', async () => {
    const http = entraMetadata().replaceAll(ENTRA_SSO_URL, 'http://login.example.test/saml2');
    assert.match(
      refused(await create({ name: 'Plain http', metadataXml: http }), ['metadataXml']),
      /ssoUrl: /,
    );
    const huge = oktaMetadata().replace(
      '<md:NameIDFormat>',
      `<!--${'x'.repeat(256 * 1024)}--><md:NameIDFormat>`,
    );
    assert.match(refused(await create({ name: 'Huge', metadataXml: huge }), ['metadataXml']), /256 KiB/);
    const nothing = await create({ name: 'Nothing', config: { clockSkewSeconds: 10 } });
    assert.match(
      refused(nothing, ['config.entityId', 'config.signingCertificates', 'config.ssoUrl']),
      /required \(or give metadataXml\)/,
    );
    const oidc = await api.call('post', '/identity-providers', { token: owner, body: oidcProvider('O') });
    assert.equal(oidc.status, 201);
    const onOidc = await api.call('patch', `/identity-providers/${oidc.body.id}`, {
      token: owner,
      body: { metadataXml: oktaMetadata() },
    });
    assert.match(refused(onOidc, ['metadataXml']), /only SAML providers/);
    const withOidc = await api.call('post', '/identity-providers', {
      token: owner,
      body: { ...oidcProvider('O2'), metadataXml: oktaMetadata() },
    });
    refused(withOidc, ['metadataXml']);
  });
});
