import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { federationUrls } from '../../src/modules/identity-providers/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { federate, followAll } from '../helpers/federation-flow.ts';
import { type ForgedIdp, type Forgery, startForgedIdp } from '../helpers/forged-idp.ts';
import { OIDC_SECRET, oidcProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { APP_ORIGIN, authorizationRequest, type RelyingParty, registerApp } from '../helpers/sso-flow.ts';
import { LOCAL_IDP_CONFIG, startUpstreamIdp, type UpstreamIdp } from '../helpers/upstream-idp.ts';

describe('FED-7 OIDC answers that must be refused, with nothing created', () => {
  let canopy: OidcTestServer;
  let idpA: UpstreamIdp;
  let idpB: UpstreamIdp;
  let forged: ForgedIdp;
  let t: Tenant;
  let rp: RelyingParty;
  const ids: Record<'A' | 'B' | 'F', string> = { A: '', B: '', F: '' };
  before(async () => {
    canopy = await startOidcServer({ config: LOCAL_IDP_CONFIG });
    const c = canopy.container;
    t = await signUpTenant(c, { companyName: 'Umbrella' });
    rp = await registerApp(canopy, t);
    idpA = await startUpstreamIdp();
    idpB = await startUpstreamIdp();
    forged = await startForgedIdp('canopy-forged');
    for (const [key, name, issuer, clientId] of [
      ['A', 'IdP A', idpA.issuer, 'canopy'],
      ['B', 'IdP B', idpB.issuer, 'canopy'],
      ['F', 'Forged', forged.issuer, 'canopy-forged'],
    ] as const) {
      ids[key] = (
        await c.identityProviders.create(t.owner, t.tenantId, oidcProvider(name, { issuer, clientId }))
      ).id;
    }
    for (const [idp, key] of [
      [idpA, 'A'],
      [idpB, 'B'],
    ] as const) {
      idp.start([
        {
          client_id: 'canopy',
          client_secret: OIDC_SECRET,
          redirect_uris: [federationUrls(canopy.issuer, ids[key]).oidcRedirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ]);
      idp.signInAs({ sub: `person-at-${key}`, groups: [] });
    }
  });
  after(async () => {
    await canopy.close();
    await Promise.all([idpA.close(), idpB.close(), forged.close()]);
  });

  const callbackOf = (key: 'A' | 'B') => (u: URL) =>
    u.href.startsWith(federationUrls(canopy.issuer, ids[key]).oidcRedirectUri);
  const authorizeAt = (idp: { issuer: string }) => (u: URL) => u.origin === idp.issuer;
  const counts = async () => {
    const knex = canopy.container.database.knex;
    const [users] = await knex('users').where({ tenant_id: t.tenantId }).count('* as n');
    const [failures] = await knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'session.sign_in', outcome: 'failure' })
      .count('* as n');
    return { users: Number(users!.n), failures: Number(failures!.n) };
  };

  /** Requests `url` in `browser`, expects a refusal page, and that it created nothing. */
  async function refused(browser: TestBrowser, url: URL, pattern: RegExp, audited = true) {
    const before = await counts();
    const page = await followAll(browser, url);
    assert.ok(
      !page.caught && page.status >= 400,
      `expected a refusal, got ${page.status} at ${page.location}`,
    );
    assert.match(page.html, pattern);
    assert.match(page.html, /Quote this reference/);
    const now = await counts();
    assert.equal(now.users, before.users, 'no user was created');
    if (audited) assert.equal(now.failures, before.failures + 1, 'AUD-1: the failure is audited');
  }

  /** A flow with provider `key`, stopped at Canopy's callback: the browser and the callback URL. */
  async function answered(key: 'A' | 'B') {
    const browser = new TestBrowser();
    const stop = await federate(
      browser,
      canopy,
      await authorizationRequest(rp),
      `IdP ${key}`,
      callbackOf(key),
    );
    assert.ok(stop.caught, `no callback: ${stop.status} ${stop.location}\n${stop.html}`);
    return { browser, callback: stop.location };
  }

  test('FED-7 state mismatch is refused; the real answer works once, and its replay is refused', async () => {
    const { browser, callback } = await answered('A');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'x'.repeat(43));
    await refused(browser, tampered, /This sign-in has expired/, false);
    const ok = await followAll(browser, callback);
    assert.ok(ok.caught && ok.location.origin === APP_ORIGIN, 'the genuine answer signs in');
    await refused(browser, callback, /This sign-in has expired/, false);
  });

  test('FED-7 mix-up: an answer of IdP B redeemed in a flow started with IdP A is refused', async () => {
    const b = await answered('B');
    // The victim's flow with A, stopped at A's authorization endpoint: its state.
    const browser = new TestBrowser();
    const atA = await federate(browser, canopy, await authorizationRequest(rp), 'IdP A', authorizeAt(idpA));
    const stateA = atA.location.searchParams.get('state')!;
    const forged = new URL(federationUrls(canopy.issuer, ids.A).oidcRedirectUri);
    forged.searchParams.set('code', b.callback.searchParams.get('code')!);
    forged.searchParams.set('state', stateA);
    forged.searchParams.set('iss', b.callback.searchParams.get('iss')!);
    await refused(browser, forged, /could not be verified/);
    // B's own callback, carrying a state of a flow with A: the record names A, refused.
    const again = await federate(browser, canopy, await authorizationRequest(rp), 'IdP A', authorizeAt(idpA));
    const atB = new URL(b.callback);
    atB.searchParams.set('state', again.location.searchParams.get('state')!);
    await refused(browser, atB, /could not be verified/);
  });

  test('FED-7 an answer arriving in another browser than the one that started the flow is refused', async () => {
    const { callback } = await answered('A');
    await refused(new TestBrowser(), callback, /could not be verified/);
  });

  for (const [forgery, title] of [
    ['wrong-aud', 'wrong aud'],
    ['wrong-iss', 'wrong iss in the ID token'],
    ['bad-nonce', 'bad nonce'],
    ['alg-none', 'alg none'],
    ['foreign-key', 'an ID token signed by a foreign key'],
    ['expired', 'an expired ID token'],
  ] as [Forgery, string][]) {
    test(`FED-7 ${title} is refused`, async () => {
      forged.forgery = forgery;
      const browser = new TestBrowser();
      const stop = await federate(browser, canopy, await authorizationRequest(rp), 'Forged', (u) =>
        u.href.startsWith(federationUrls(canopy.issuer, ids.F).oidcRedirectUri),
      );
      await refused(browser, stop.location, /could not be verified/);
    });
  }

  test('FED-7 the forged IdP with nothing forged signs in (the refusals above are for their own reason)', async () => {
    forged.forgery = 'good';
    forged.sub = 'genuine';
    const end = await federate(new TestBrowser(), canopy, await authorizationRequest(rp), 'Forged');
    assert.ok(end.caught && end.location.origin === APP_ORIGIN, `${end.status} ${end.location}\n${end.html}`);
  });
});
