import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildResponse, encode, PERSISTENT, sign } from '../helpers/saml-idp.ts';
import { cacheBackends, createSamlWorld, refused, type SamlWorld } from '../helpers/saml-world.ts';

// FED-6 / FED-3: the SAML service provider's accepted paths, request ids, IdP-initiated sign-in
// and time bounds. The attack corpus is in saml-attacks.test.ts.

for (const backend of cacheBackends) {
  describe(`SAML protocol (${backend.name} caches)`, () => {
    let w: SamlWorld;
    before(() => {
      w = createSamlWorld(backend);
    });
    after(() => w.close());

    test('FED-6 FED-3 SP-initiated: a signed response yields the profile, keyed by NameID and format', async () => {
      const p = w.provider();
      const attributes = {
        uid: 'ada',
        email: 'ada@corp.example',
        displayName: 'Ada L',
        groups: ['eng', 'ops', 'eng'],
      };
      const { requestId, form } = await w.answer(p, { attributes });
      const out = await w.protocol.consume(p, form);
      assert.equal(out.inResponseTo, requestId);
      assert.equal(out.relayState, 'flow-1');
      assert.deepEqual(out.profile, {
        subject: `${PERSISTENT}|employee-4711`,
        username: 'ada',
        email: 'ada@corp.example',
        name: 'Ada L',
        groups: ['eng', 'ops'],
      });
    });

    test('FED-3 username falls back to the NameID; one group is a list; no format is "unspecified"', async () => {
      const p = w.provider();
      const { form } = await w.answer(p, { nameIdFormat: null, attributes: { groups: 'admins' } });
      const { profile } = await w.protocol.consume(p, form);
      assert.equal(profile.subject, 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified|employee-4711');
      assert.equal(profile.username, 'employee-4711');
      assert.deepEqual(profile.groups, ['admins']);
      assert.equal(profile.email, undefined);
    });

    test('FED-6 the AuthnRequest goes to the configured sign-on URL with the RelayState', async () => {
      const p = w.provider();
      const { redirectUrl } = await w.protocol.start(p, 'flow-xyz');
      const url = new URL(redirectUrl);
      assert.equal(`${url.origin}${url.pathname}`, p.config.ssoUrl);
      assert.equal(url.searchParams.get('RelayState'), 'flow-xyz');
      await assert.rejects(w.protocol.start(p, 'x'.repeat(81)), RangeError);
    });

    test('FED-6 only the assertion signed, where the provider allows an unsigned response', async () => {
      const p = w.provider({ wantResponseSigned: false });
      const { form } = await w.answer(p, {}, { response: false });
      assert.equal((await w.protocol.consume(p, form)).profile.subject, `${PERSISTENT}|employee-4711`);
    });

    test('FED-6 only the response signed, where the provider does not require signed assertions', async () => {
      const p = w.provider({ wantAssertionsSigned: false });
      const { form } = await w.answer(p, {}, { assertion: false });
      assert.equal((await w.protocol.consume(p, form)).profile.subject, `${PERSISTENT}|employee-4711`);
    });

    test('FED-6 an assertion id is accepted once: the same response twice is refused', async () => {
      const p = w.provider();
      const { form } = await w.answer(p);
      await w.protocol.consume(p, form);
      await refused(w.protocol.consume(p, form), 'replay', 'in_response_to');
    });

    test('FED-6 the same response posted concurrently is accepted exactly once', async () => {
      const p = w.provider();
      const { form } = await w.answer(p);
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => w.protocol.consume(p, form)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    });

    test("FED-6 InResponseTo: a used, unknown or other provider's request id is refused", async () => {
      const p = w.provider();
      const { requestId, form } = await w.answer(p);
      await w.protocol.consume(p, form);
      const again = encode(sign(buildResponse(w.fields(p, requestId)), w.idp));
      await refused(w.protocol.consume(p, { SAMLResponse: again }), 'in_response_to');
      const unknown = encode(sign(buildResponse(w.fields(p, '_never-issued')), w.idp));
      await refused(w.protocol.consume(p, { SAMLResponse: unknown }), 'in_response_to');
      const other = w.provider();
      const { requestId: othersRequest } = await w.protocol.start(other, 'flow-2');
      const crossed = encode(sign(buildResponse(w.fields(p, othersRequest)), w.idp));
      await refused(w.protocol.consume(p, { SAMLResponse: crossed }), 'in_response_to');
    });

    test('FED-6 a refused answer burns its request: the genuine answer after it is refused too', async () => {
      const p = w.provider();
      const { requestId } = await w.protocol.start(p, 'flow-1');
      const bad = encode(
        sign(buildResponse(w.fields(p, requestId, { audience: 'https://elsewhere' })), w.idp),
      );
      await refused(w.protocol.consume(p, { SAMLResponse: bad }), 'audience');
      const good = encode(sign(buildResponse(w.fields(p, requestId)), w.idp));
      await refused(w.protocol.consume(p, { SAMLResponse: good }), 'in_response_to');
    });

    test('FED-6 IdP-initiated is refused while off for the provider', async () => {
      const p = w.provider();
      const xml = sign(buildResponse(w.fields(p, null)), w.idp);
      await refused(w.protocol.consume(p, { SAMLResponse: encode(xml) }), 'unsolicited');
    });

    test('FED-6 IdP-initiated is accepted when enabled, once; SP-initiated still checks its request', async () => {
      const p = w.provider({ allowIdpInitiated: true });
      const form = { SAMLResponse: encode(sign(buildResponse(w.fields(p, null)), w.idp)) };
      const out = await w.protocol.consume(p, form);
      assert.equal(out.inResponseTo, null);
      assert.equal(out.relayState, null);
      await refused(w.protocol.consume(p, form), 'replay');
      const unknown = encode(sign(buildResponse(w.fields(p, '_never-issued')), w.idp));
      await refused(w.protocol.consume(p, { SAMLResponse: unknown }), 'in_response_to');
      const { form: spForm } = await w.answer(p);
      assert.ok((await w.protocol.consume(p, spForm)).inResponseTo);
    });

    test('FED-6 node-saml #433: with an unsigned response, InResponseTo must be in the signed assertion', async () => {
      const p = w.provider({ wantResponseSigned: false, allowIdpInitiated: true });
      // A signed IdP-initiated assertion replanted into a Response naming a victim's request.
      const { form } = await w.answer(p, { confirmationInResponseTo: null }, { response: false });
      await refused(w.protocol.consume(p, form), 'in_response_to');
      // The same, with the Response-level InResponseTo stripped: the signed one must still be checked.
      const { requestId } = await w.protocol.start(p, 'flow-1');
      const stripped = sign(
        buildResponse(w.fields(p, null, { confirmationInResponseTo: `${requestId}-forged` })),
        w.idp,
        { response: false },
      );
      await refused(w.protocol.consume(p, { SAMLResponse: encode(stripped) }), 'in_response_to');
    });

    describe('FED-6 time bounds with a 60 s skew, by the injected clock', () => {
      // Conditions and the confirmation end 300 s after issue; NotBefore is 30 s before it.
      const expiresAt = 300;
      test('FED-6 NotOnOrAfter: accepted 59 s past it, refused 61 s past it', async () => {
        const p = w.provider();
        const inside = await w.answer(p);
        const outside = await w.answer(p);
        w.clock.advance((expiresAt + 59) * 1000);
        await w.protocol.consume(p, inside.form);
        w.clock.advance(2000);
        await refused(w.protocol.consume(p, outside.form), 'expired');
      });

      test('FED-6 NotBefore: accepted 59 s before it, refused 61 s before it', async () => {
        const p = w.provider();
        const { form: early } = await w.answer(p, { notBeforeS: 61, issueInstantS: 0 });
        await refused(w.protocol.consume(p, early), 'not_yet_valid');
        const { form: fine } = await w.answer(p, { notBeforeS: 59 });
        await w.protocol.consume(p, fine);
      });

      test('FED-6 a confirmation past its NotOnOrAfter, or issued in the future, is refused', async () => {
        const p = w.provider();
        const { form } = await w.answer(p, { confirmationNotOnOrAfterS: -61 });
        await refused(w.protocol.consume(p, form), 'expired');
        const { form: future } = await w.answer(p, { issueInstantS: 120 });
        await refused(w.protocol.consume(p, future), 'not_yet_valid');
      });
    });
  });
}
