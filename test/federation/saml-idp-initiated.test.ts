import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { federationUrls } from '../../src/modules/identity-providers/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { federate, passwordFormAction } from '../helpers/federation-flow.ts';
import { samlProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  buildResponse,
  encode,
  makeKeyPair,
  requestIdOf,
  sign,
  type TestKeyPair,
} from '../helpers/saml-idp.ts';
import { authorizationRequest, isLoginPage, registerApp, visit } from '../helpers/sso-flow.ts';

// IdP-initiated sign-in: the company's IdP posts a signed response to no request of ours. Where the
// provider allows it, the ACS parks the outcome behind a cookie and sends the browser to the org's
// console sign-in, whose login step takes it; elsewhere the answer is refused and nothing created.

const IDP = 'https://idp.initech.test';
const HANDOFF = 'canopy_handoff';

describe('FED-6 FED-3 IdP-initiated SAML sign-in, for providers that enable it', () => {
  let canopy: OidcTestServer;
  let keys: TestKeyPair;
  let open: Tenant; // its provider allows IdP-initiated sign-in
  let closed: Tenant; // its provider does not (the default)
  let plain: Tenant; // no provider: password only
  let openProvider: string;
  let closedProvider: string;

  before(async () => {
    canopy = await startOidcServer();
    const c = canopy.container;
    keys = makeKeyPair('initech-idp');
    const config = { entityId: `${IDP}/metadata`, ssoUrl: `${IDP}/sso`, signingCertificates: [keys.cert] };
    open = await signUpTenant(c, { companyName: 'Initech' });
    closed = await signUpTenant(c, { companyName: 'Initrode' });
    plain = await signUpTenant(c, { companyName: 'Chotchkies' });
    const create = (t: Tenant, allowIdpInitiated: boolean) =>
      c.identityProviders.create(
        t.owner,
        t.tenantId,
        samlProvider('Initech SSO', { ...config, allowIdpInitiated }),
      );
    openProvider = (await create(open, true)).id;
    closedProvider = (await create(closed, false)).id;
  });
  after(() => canopy.close());

  /** A signed response from the IdP, answering `inResponseTo` (null: unsolicited). */
  function response(providerId: string, nameId: string, inResponseTo: string | null = null) {
    const urls = federationUrls(canopy.issuer, providerId);
    const xml = buildResponse({
      now: canopy.container.clock.now(),
      idpEntityId: `${IDP}/metadata`,
      acsUrl: urls.acsUrl,
      audience: urls.spEntityId,
      inResponseTo,
      nameId,
      attributes: { uid: nameId, email: `${nameId}@initech.test`, displayName: 'Peter Gibbons' },
    });
    return encode(sign(xml, keys));
  }

  const postAcs = (browser: TestBrowser, providerId: string, form: Record<string, string>) =>
    browser.request(federationUrls(canopy.issuer, providerId).acsUrl, { form });
  const usersOf = (t: Tenant, username?: string) =>
    canopy.container.database
      .knex('users')
      .where({ tenant_id: t.tenantId, ...(username ? { username } : {}) })
      .select('id');
  const failedSignIns = (t: Tenant) =>
    canopy.container.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'session.sign_in', outcome: 'failure' })
      .select('after');
  const handoffOf = (res: Response) => res.headers.getSetCookie().find((l) => l.startsWith(`${HANDOFF}=`));

  /** What the console's script does: an authorization request naming the org, followed in the browser. */
  async function consoleAuthorize(browser: TestBrowser, domain: string) {
    const config = await client.discovery(
      new URL(canopy.issuer),
      'canopy-console',
      undefined,
      client.None(),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${canopy.issuer}/console/`,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      org: domain,
    });
    const { res, location } = await browser.follow(url, canopy.issuer);
    const html = await res.text();
    const redeem = () =>
      client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state });
    return { status: res.status, location, html, redeem };
  }

  test('FED-6 FED-3 enabled: an unsolicited signed response lands in the console, signed in as the new user', async () => {
    const browser = new TestBrowser();
    // IdPs often put a target of their own in RelayState: it names no record, and is not followed.
    const acs = await postAcs(browser, openProvider, {
      SAMLResponse: response(openProvider, 'peter'),
      RelayState: 'https://evil.example/next',
    });
    assert.equal(acs.status, 303, await acs.text());
    assert.equal(acs.headers.get('location'), `/login/${open.organization.domain}`);
    const cookie = handoffOf(acs);
    assert.ok(cookie, 'the outcome rides in the handoff cookie');
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Path=\//);
    assert.match(cookie, /Max-Age=120/);

    const entry = await browser.request(new URL(`/login/${open.organization.domain}`, canopy.issuer));
    assert.equal(entry.headers.get('location'), `/console/?org=${open.organization.domain}`);
    const landed = await consoleAuthorize(browser, open.organization.domain!);
    assert.equal(landed.location.pathname, '/console/', landed.html);
    assert.ok(landed.location.searchParams.get('code'), 'the console gets a code, no password asked');
    const [user] = await usersOf(open, 'peter');
    assert.ok(user, 'FED-3: the user was created just in time');
    const claims = (await landed.redeem()).claims()!;
    assert.equal(claims.sub, user.id);
    assert.equal(claims.org_id, open.tenantId);

    // Single use: the outcome was taken.
    const parkedId = /=([^;]*)/.exec(cookie)![1]!;
    assert.equal(await canopy.container.federationFlows.takeParked(parkedId), undefined);
  });

  test('FED-6 replaying the same response is refused and creates nothing', async () => {
    const samlResponse = response(openProvider, 'milton');
    const first = await postAcs(new TestBrowser(), openProvider, { SAMLResponse: samlResponse });
    assert.equal(first.status, 303);
    const users = (await usersOf(open)).length;
    const replay = await postAcs(new TestBrowser(), openProvider, { SAMLResponse: samlResponse });
    assert.equal(replay.status, 400);
    assert.equal(handoffOf(replay), undefined);
    assert.equal((await usersOf(open)).length, users);
  });

  test('FED-6 an answer to one of our requests, without its flow record, is refused as expired', async () => {
    const rp = await registerApp(canopy, open, { name: 'Intranet' });
    const browser = new TestBrowser();
    const request = await authorizationRequest(rp, { scope: 'openid' });
    const stop = await federate(browser, canopy, request, 'Initech SSO', (u) => u.origin === IDP);
    assert.ok(stop.caught, stop.html);
    const answer = response(openProvider, 'bill', requestIdOf(stop.location.href));
    const res = await postAcs(browser, openProvider, { SAMLResponse: answer });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /has expired/);
    assert.equal(handoffOf(res), undefined);
    assert.equal((await usersOf(open, 'bill')).length, 0);
  });

  test('FED-6 disabled (the default): an unsolicited response is refused with a clear page, audited, nothing created', async () => {
    const users = (await usersOf(closed)).length;
    const failures = (await failedSignIns(closed)).length;
    const res = await postAcs(new TestBrowser(), closedProvider, {
      SAMLResponse: response(closedProvider, 'samir'),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Start your sign-in from Canopy/);
    assert.equal(handoffOf(res), undefined);
    assert.equal((await usersOf(closed)).length, users);
    const audited = await failedSignIns(closed);
    assert.equal(audited.length, failures + 1);
    assert.equal(audited.at(-1)!.after.reason, 'unsolicited');
  });

  test('FED-6 the outcome is for its own org’s console only: other apps leave it, another org’s console drops it', async () => {
    const browser = new TestBrowser();
    const acs = await postAcs(browser, openProvider, { SAMLResponse: response(openProvider, 'joanna') });
    assert.equal(acs.status, 303);
    const parkedId = /=([^;]*)/.exec(handoffOf(acs)!)![1]!;

    // An app of the same org does not take it (its login page is shown, the cookie kept).
    const rp = await registerApp(canopy, open, { name: 'Wiki' });
    const app = await visit(browser, canopy, (await authorizationRequest(rp, { scope: 'openid' })).url);
    assert.ok(isLoginPage(app), app.html);
    assert.ok(!app.headers.getSetCookie().some((l) => l.startsWith(`${HANDOFF}=`)), 'cookie untouched');

    // Another org's console: the cookie is cleared, the outcome dropped, the password page shown.
    const other = await consoleAuthorize(browser, plain.organization.domain!);
    assert.equal(other.status, 200);
    assert.ok(passwordFormAction(other.html), other.html);
    assert.match(other.html, /Chotchkies/);
    assert.equal(await canopy.container.federationFlows.takeParked(parkedId), undefined, 'single use');
    const back = await consoleAuthorize(browser, open.organization.domain!);
    assert.equal(back.status, 200, 'nothing is left to sign the browser in');
    assert.match(back.html, /Sign in with Initech SSO/);
  });
});
