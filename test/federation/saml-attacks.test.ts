import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertionOf, buildResponse, encode, PERSISTENT, sign } from '../helpers/saml-idp.ts';
import { cacheBackends, createSamlWorld, refused, type SamlWorld } from '../helpers/saml-world.ts';

// FED-6 attack corpus (E-reliability §2): every mutation of a good response is refused, or, for a
// comment inside a signed value, read whole. Wrapping shapes follow SAMLRaider's XSW definitions.

const backend = cacheBackends.at(-1)!;

/** An unsigned, evil copy of the signed assertion: new ID, the victim's NameID, no Signature. */
const evilCopy = (xml: string, id = '_evil') =>
  assertionOf(xml)
    .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
    .replace(/ID="[^"]+"/, `ID="${id}"`)
    .replace(/<saml:NameID([^>]*)>[^<]*</, '<saml:NameID$1>the-ceo<');

describe(`SAML attack corpus (${backend.name} caches)`, () => {
  let w: SamlWorld;
  before(() => {
    w = createSamlWorld(backend);
  });
  after(() => w.close());

  describe('FED-6 signatures', () => {
    test('FED-6 unsigned: refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, {}, { assertion: false, response: false });
      await refused(w.protocol.consume(p, form), 'signature');
    });

    test('FED-6 only the assertion signed while the response signature is required: refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, {}, { response: false });
      await refused(w.protocol.consume(p, form), 'signature');
    });

    test('FED-6 only the response signed while assertion signatures are required: refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, {}, { assertion: false });
      await refused(w.protocol.consume(p, form), 'signature');
    });

    test('FED-6 signed by another key, its certificate in KeyInfo: refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, {}, { keys: w.attacker });
      await refused(w.protocol.consume(p, form), 'signature');
    });

    test('FED-6 a signed NameID changed afterwards: refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, {}, {}, (x) => x.replace('employee-4711', 'the-ceo'));
      await refused(w.protocol.consume(p, form), 'signature');
    });

    test('FED-6 encrypted assertion with no signature on it: refused', async () => {
      const p = w.provider({ wantResponseSigned: false });
      const edit = (x: string) =>
        x.replace(
          assertionOf(x),
          '<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>',
        );
      const { form } = await w.answer(p, {}, { response: false }, edit);
      await refused(w.protocol.consume(p, form), 'signature', 'malformed');
    });
  });

  describe('FED-6 signature wrapping (XSW)', () => {
    const assertionOnly = { wantResponseSigned: false };
    const cases: [string, Partial<{ wantResponseSigned: boolean }>, (xml: string) => string][] = [
      [
        'XSW3 evil assertion before the signed one',
        assertionOnly,
        (x) => x.replace('<saml:Assertion', `${evilCopy(x)}<saml:Assertion`),
      ],
      [
        'XSW5 evil assertion after the signed one',
        assertionOnly,
        (x) => x.replace('</samlp:Response>', `${evilCopy(x)}</samlp:Response>`),
      ],
      [
        'XSW4 signed assertion wrapped inside an evil one',
        assertionOnly,
        (x) =>
          x.replace(
            assertionOf(x),
            evilCopy(x).replace('</saml:Assertion>', `${assertionOf(x)}</saml:Assertion>`),
          ),
      ],
      [
        'XSW7 evil assertion in Extensions',
        assertionOnly,
        (x) =>
          x.replace('<samlp:Status>', `<samlp:Extensions>${evilCopy(x)}</samlp:Extensions><samlp:Status>`),
      ],
      [
        'XSW8 signed copy in ds:Object, evil one keeps the ID',
        assertionOnly,
        (x) => {
          const signed = assertionOf(x);
          const id = /ID="([^"]+)"/.exec(signed)![1]!;
          const evil = evilCopy(x, id).replace(
            '</saml:Issuer>',
            `</saml:Issuer>${/<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0].replace('</ds:Signature>', `<ds:Object>${signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')}</ds:Object></ds:Signature>`)}`,
          );
          return x.replace(signed, evil);
        },
      ],
      [
        'XSW1 signed Response hidden in the Signature of an evil Response',
        {},
        (x) => {
          const evil = x
            .replace(/^<samlp:Response([^>]*) ID="[^"]+"/, '<samlp:Response$1 ID="_evil-response"')
            .replace(assertionOf(x), evilCopy(x));
          return evil.replace('</ds:SignatureValue>', `</ds:SignatureValue><ds:Object>${x}</ds:Object>`);
        },
      ],
      [
        'XSW2 signed Response as first child of an evil Response',
        {},
        (x) => {
          const open = /^<samlp:Response[^>]*>/.exec(x)![0].replace(/ID="[^"]+"/, 'ID="_evil-response"');
          return `${open}${x}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${evilCopy(x)}</samlp:Response>`;
        },
      ],
    ];
    for (const [name, config, edit] of cases) {
      test(`FED-6 ${name}: refused`, async () => {
        const p = w.provider(config);
        const signing = config.wantResponseSigned === false ? { response: false } : {};
        const { form } = await w.answer(p, {}, signing, edit);
        await refused(w.protocol.consume(p, form), 'signature', 'malformed');
      });
    }

    test('FED-6 signed status-only error Response with a forged assertion in Extensions: refused', async () => {
      const p = w.provider({ wantAssertionsSigned: false });
      const { requestId } = await w.protocol.start(p, 'flow-1');
      const good = buildResponse(w.fields(p, requestId));
      const statusOnly = good.replace(assertionOf(good), '').replace('status:Success', 'status:Responder');
      const forged = sign(statusOnly, w.idp, { assertion: false }).replace(
        '<samlp:Status>',
        `<samlp:Extensions>${evilCopy(sign(good, w.idp))}</samlp:Extensions><samlp:Status>`,
      );
      await refused(
        w.protocol.consume(p, { SAMLResponse: encode(forged) }),
        'signature',
        'status',
        'malformed',
      );
    });
  });

  test('FED-6 comment in a signed NameID and attribute: the value is read whole, never truncated', async () => {
    const p = w.provider();
    const inject = (x: string) =>
      x
        .replace(
          'admin@corp.example.evil.com</saml:NameID>',
          'admin@corp.example<!---->.evil.com</saml:NameID>',
        )
        .replace('>boss.evil<', '>boss<!---->.evil<');
    const { form } = await w.answer(
      p,
      { nameId: 'admin@corp.example.evil.com', attributes: { uid: 'boss.evil' } },
      {},
      inject,
    );
    assert.match(
      Buffer.from(form.SAMLResponse, 'base64').toString(),
      /admin@corp\.example<!---->\.evil\.com/,
    );
    const { profile } = await w.protocol.consume(p, form);
    assert.equal(profile.subject, `${PERSISTENT}|admin@corp.example.evil.com`);
    assert.equal(profile.username, 'boss.evil');
  });
});
