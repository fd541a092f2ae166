import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';

let s: OidcTestServer;
before(async () => {
  s = await startOidcServer();
});
after(() => s.close());

test('SESS-1 smoke: code flow with PKCE through the sign-in page', async () => {
  const c = s.container;
  const t = await signUpTenant(c);
  const redirect = 'http://127.0.0.1:9/callback';
  const { app, clientSecret } = await c.apps.create(t.owner, t.tenantId, {
    name: 'Smoke',
    kind: 'web',
    redirectUris: [redirect],
    firstParty: true,
  });
  const config = await client.discovery(
    new URL(s.issuer),
    app.clientId,
    undefined,
    client.ClientSecretBasic(clientSecret!),
    {
      execute: [client.allowInsecureRequests],
    },
  );
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirect,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new TestBrowser();
  const first = await browser.follow(url, s.issuer);
  const page = await first.res.text();
  assert.equal(first.res.status, 200, page);
  const done = await browser.follow(new URL(first.location.pathname + '/login', s.issuer), s.issuer, {
    form: { username: 'founder', password: PASSWORD, csrf: inputValue(page, 'csrf')! },
  });
  assert.equal(done.location.origin, 'http://127.0.0.1:9', await done.res.text());
  const tokens = await client.authorizationCodeGrant(config, done.location, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  const claims = tokens.claims()!;
  assert.equal(claims.sub, t.user.id);
  assert.equal(claims.org_id, t.tenantId);
  console.log(claims, tokens);
});
