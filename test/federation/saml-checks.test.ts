import { after, before, describe, test } from 'node:test';
import { MAX_RESPONSE_BYTES } from '../../src/federation/saml/index.ts';
import { buildResponse, encode } from '../helpers/saml-idp.ts';
import { cacheBackends, createSamlWorld, refused, type SamlWorld } from '../helpers/saml-world.ts';

// FED-6: what Canopy checks around node-saml (E-reliability §2.2): issuer, audience, destination,
// recipient and bearer, status, subject; and what is refused before any XML parser runs.

const backend = cacheBackends.at(-1)!;

describe(`SAML protocol checks (${backend.name} caches)`, () => {
  let w: SamlWorld;
  before(() => {
    w = createSamlWorld(backend);
  });
  after(() => w.close());

  describe('FED-6 issuer, audience, destination, recipient, status, subject', () => {
    const cases: [
      string,
      object,
      'issuer' | 'audience' | 'destination' | 'recipient' | 'status' | 'subject',
    ][] = [
      [
        "wrong audience (another provider's SP entity id)",
        { audience: 'https://canopy.example/saml/other/metadata' },
        'audience',
      ],
      ['wrong Destination', { destination: 'https://canopy.example/saml/other/acs' }, 'destination'],
      ['no Destination on a signed Response', { destination: null }, 'destination'],
      ['wrong Recipient', { recipient: 'https://canopy.example/saml/other/acs' }, 'recipient'],
      [
        'holder-of-key instead of bearer',
        { method: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' },
        'recipient',
      ],
      ['assertion from another issuer', { assertionIssuer: 'https://evil.example' }, 'issuer'],
      ['Response from another issuer', { responseIssuer: 'https://evil.example' }, 'issuer'],
      [
        'error status around a signed assertion',
        { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' },
        'status',
      ],
      ['empty NameID', { nameId: '' }, 'subject'],
    ];
    for (const [name, fields, reason] of cases) {
      test(`FED-6 ${name}: refused`, async () => {
        const p = w.provider();
        const { form } = await w.answer(p, fields);
        await refused(w.protocol.consume(p, form), reason);
      });
    }

    test('FED-6 wrong Destination on an unsigned Response (assertion signed): refused', async () => {
      const p = w.provider({ wantResponseSigned: false });
      const { form } = await w.answer(p, { destination: 'https://evil.example/acs' }, { response: false });
      await refused(w.protocol.consume(p, form), 'destination');
    });
  });

  describe('FED-6 refused before parsing', () => {
    test('FED-6 DOCTYPE with an entity used as an ID (CVE-2025-23369 shape): refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(
        p,
        {},
        {},
        (x) =>
          `<?xml version="1.0"?><!DOCTYPE samlp:Response [<!ENTITY idViaEntity "_x">]>${x.replace(/ID="[^"]+"/, 'ID="&idViaEntity;"')}`,
      );
      await refused(w.protocol.consume(p, form), 'doctype');
      const lower = encode(
        `<!doctype r [<!entity x SYSTEM "file:///etc/passwd">]>${buildResponse(w.fields(p, null))}`,
      );
      await refused(w.protocol.consume(p, { SAMLResponse: lower }), 'doctype');
    });

    test('FED-6 oversized payload: refused by size', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, {}, {}, (x) =>
        x.replace('</samlp:Response>', `<!--${'a'.repeat(MAX_RESPONSE_BYTES)}--></samlp:Response>`),
      );
      await refused(w.protocol.consume(p, form), 'too_large');
    });

    test('FED-6 not base64, not a string, not a Response: refused', async () => {
      const p = w.provider();
      await refused(w.protocol.consume(p, {}), 'malformed');
      await refused(w.protocol.consume(p, { SAMLResponse: ['a', 'b'] }), 'malformed');
      await refused(w.protocol.consume(p, { SAMLResponse: 'not base64 at all!' }), 'malformed');
      await refused(w.protocol.consume(p, { SAMLResponse: encode('<LogoutResponse/>') }), 'malformed');
      await refused(w.protocol.consume(p, { SAMLResponse: encode('<a><b></a>') }), 'malformed');
    });
  });
});
