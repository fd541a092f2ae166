import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONSENTED_REDIRECTS, recordConsentedRedirect } from '../../src/oidc/grants.ts';
import { runAgainst } from '../cli/run-cli.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { addUserWith, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  APP_ORIGIN,
  authorizationRequest,
  consoleSignIn,
  errorOf,
  isConsentPage,
  type Landing,
  type RelyingParty,
  redeem,
  registerApp,
  relyingPartyOf,
  submitConsent,
  visit,
} from '../helpers/sso-flow.ts';

// SEC-3: no authorization is granted silently for the first time. A request without interaction
// (prompt=none) gets a code only for an app the person consented to, at a redirect URI that consent
// covered; first-party apps, which only the operator makes (SEC-1), are the exception.

/** The text of a page without its markup, whitespace folded. */
const text = (html: string) => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

describe('SEC-3 no silent first grant', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let api: ApiClient;
  let ownerToken: string;
  /** The administrator, signed in to the console in this browser: their Canopy session is live. */
  let admin: TestBrowser;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container, { companyName: 'Silent Co' });
    api = ApiClient.for(s.container);
    ownerToken = await userToken(s.container, t.user.id);
    admin = (await consoleSignIn(s, t.organization.domain!)).browser;
  });
  after(() => s.close());

  /** A request in the administrator's browser without interaction: the redirect back to the app. */
  async function silently(rp: RelyingParty, params: Record<string, string> = {}): Promise<Landing> {
    const request = await authorizationRequest(rp, { prompt: 'none', ...params });
    const back = await visit(admin, s, request.url);
    assert.ok(back.left, `prompt=none always answers at the redirect URI, got ${back.status}\n${back.html}`);
    return back;
  }

  const codeOf = (back: Landing) => back.location.searchParams.get('code');

  /** An interactive request in the administrator's browser, answered Allow on the consent page. */
  async function consent(rp: RelyingParty, params: Record<string, string> = {}) {
    const request = await authorizationRequest(rp, params);
    const page = await visit(admin, s, request.url);
    assert.ok(isConsentPage(page), `expected the consent page, got ${page.status}\n${page.html}`);
    const back = await submitConsent(admin, s, page, 'allow');
    assert.ok(codeOf(back), `a code after Allow, got ${back.location}`);
    return { page, request, back };
  }

  test('SEC-3 SEC-1 the finding: a narrow administrator’s app opened with prompt=none by an administrator gets consent_required, no code', async () => {
    const c = s.container;
    const narrow = await addUserWith(c, t, ['apps.manage']);
    const narrowToken = await userToken(c, narrow.id);
    const redirectUri = `${APP_ORIGIN}/harvest/callback`;
    const body = { kind: 'web', name: 'Harvester', redirectUris: [redirectUri], firstParty: true };
    const refused = await api.call('post', '/apps', { token: narrowToken, body });
    assert.deepEqual([refused.status, refused.body.details.fields[0].field], [400, 'firstParty']);
    // Registered as what it may be, third-party: the administrator's session yields nothing silently.
    const made = await api.call('post', '/apps', {
      token: narrowToken,
      body: { ...body, firstParty: false },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const rp = await relyingPartyOf(s, made.body.app, made.body.clientSecret);
    const back = await silently(rp);
    assert.equal(errorOf(back.location), 'consent_required');
    assert.equal(back.location.origin + back.location.pathname, redirectUri);
  });

  test('SEC-3 after consent prompt=none is silent; a redirect URI added or put in place of another needs consent again, the old one stays silent', async () => {
    const rp = await registerApp(s, t, { firstParty: false, name: 'Partner Portal' });
    assert.equal(errorOf((await silently(rp)).location), 'consent_required', 'never consented');
    const first = await consent(rp);
    const tokens = await redeem(rp, first.request, first.back.location);
    assert.equal(tokens.claims()?.sub, t.user.id);
    assert.ok(codeOf(await silently(rp)), 'consented: silent');

    // The app (an apps.manage holder) adds a redirect URI.
    const added = `${APP_ORIGIN}/partner/elsewhere`;
    const patched = await api.call('patch', `/apps/${rp.app.id}`, {
      token: ownerToken,
      body: { redirectUris: [rp.redirectUri, added] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const atNew = await silently(rp, { redirect_uri: added });
    assert.equal(errorOf(atNew.location), 'consent_required');
    assert.equal(atNew.location.origin + atNew.location.pathname, added);
    assert.ok(codeOf(await silently(rp)), 'the URI consented to stays silent');

    // Consent for the new URI: the page says what the app gets there; afterwards it is silent too.
    const second = await consent(rp, { redirect_uri: added });
    assert.ok(text(second.page.html).includes('Sign you in'), text(second.page.html));
    assert.equal(second.back.location.origin + second.back.location.pathname, added);
    assert.ok(codeOf(await silently(rp, { redirect_uri: added })), 'consented for the new URI: silent');

    // A URI put in place of another is new as well.
    const replaced = `${APP_ORIGIN}/partner/replaced`;
    await api.call('patch', `/apps/${rp.app.id}`, {
      token: ownerToken,
      body: { redirectUris: [replaced, added] },
    });
    assert.equal(errorOf((await silently(rp, { redirect_uri: replaced })).location), 'consent_required');
    assert.ok(codeOf(await silently(rp, { redirect_uri: added })));
  });

  test('SEC-3 a native app’s loopback redirect may come on any port (RFC 8252): its consents are kept per URI without the port', async () => {
    const { Grant } = s.container.oidc.provider;
    const grant = new Grant({ accountId: t.user.id, clientId: 'desktop' });
    for (const port of [51001, 51002, 51003])
      recordConsentedRedirect(grant, { applicationType: 'native' }, `http://127.0.0.1:${port}/callback`);
    recordConsentedRedirect(grant, { applicationType: 'native' }, 'https://desktop.example.com:8443/cb');
    assert.equal(
      grant.getResourceScope(CONSENTED_REDIRECTS),
      'http://127.0.0.1/callback https://desktop.example.com:8443/cb',
      'one entry for every loopback port; other URIs exactly',
    );
    const web = new Grant({ accountId: t.user.id, clientId: 'portal' });
    for (const port of [51001, 51002])
      recordConsentedRedirect(web, { applicationType: 'web' }, `http://127.0.0.1:${port}/callback`);
    assert.equal(
      web.getResourceScope(CONSENTED_REDIRECTS),
      'http://127.0.0.1:51001/callback http://127.0.0.1:51002/callback',
      'a web app’s redirect URIs match exactly, ports included',
    );
  });

  test('SEC-3 a consent covers the scopes asked for: asking for more is not silent', async () => {
    const rp = await registerApp(s, t, { firstParty: false });
    await consent(rp, { scope: 'openid' });
    assert.ok(codeOf(await silently(rp, { scope: 'openid' })));
    assert.equal(errorOf((await silently(rp, { scope: 'openid email' })).location), 'consent_required');
  });

  test('SEC-1 SEC-3 an app the operator makes first-party signs in without consent; cleared, it asks again', async () => {
    const rp = await registerApp(s, t, { firstParty: false, name: 'Own Dashboard' });
    const on = await runAgainst(s.container, ['app', 'first-party', rp.app.clientId, 'on']);
    assert.equal(on.code, 0, on.err);
    const back = await silently(rp, { scope: 'openid profile' });
    assert.ok(codeOf(back), `first-party: a code without consent, got ${back.location}`);
    const interactive = await visit(
      admin,
      s,
      (await authorizationRequest(rp, { scope: 'openid email' })).url,
    );
    assert.ok(interactive.left && codeOf(interactive), 'no consent page for more scopes either');

    const off = await runAgainst(s.container, ['app', 'first-party', rp.app.id, 'off']);
    assert.equal(off.code, 0, off.err);
    // What it was given silently while first-party is no consent of the person's.
    assert.equal(errorOf((await silently(rp, { scope: 'openid profile' })).location), 'consent_required');
  });
});
