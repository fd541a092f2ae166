import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { addUser, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { consoleSignIn } from '../helpers/sso-flow.ts';

describe('the org sign-in page and the console', () => {
  let s: OidcTestServer;
  before(async () => {
    s = await startOidcServer();
  });
  after(() => s.close());

  /** What the console's script does in the browser, from the org's own sign-in address. */
  async function signInAt(domain: string, username: string) {
    const browser = new TestBrowser();
    const entry = await browser.request(new URL(`/login/${domain}`, s.issuer));
    assert.equal(entry.status, 303);
    assert.equal(entry.headers.get('location'), `/console/?org=${domain}`);
    const { loginPage, tokens } = await consoleSignIn(s, domain, { browser, username });
    assert.ok(loginPage, 'a fresh browser sees the sign-in page');
    return { page: loginPage, tokens };
  }

  test('SESS-1 /login/{domain} signs a user of that org in to the console, on that org’s page', async () => {
    const t = await signUpTenant(s.container, { companyName: 'Wayne Enterprises' });
    const { page, tokens } = await signInAt(t.organization.domain!, 'founder');
    assert.match(page, /Wayne Enterprises/);
    const claims = tokens.claims()!;
    assert.equal(claims.sub, t.user.id);
    assert.equal(claims.org_domain, t.organization.domain);
  });

  test('ORG-3 an unknown domain, or the old domain of a renamed org, is a 404 page', async () => {
    const t = await signUpTenant(s.container);
    const old = t.organization.domain!;
    await s.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { domain: `${old}-new` });
    for (const domain of [old, 'no-such-org', 'Bad_Domain']) {
      const res = await new TestBrowser().request(new URL(`/login/${domain}`, s.issuer));
      assert.equal(res.status, 404, domain);
      assert.match(await res.text(), /No such organization/);
    }
  });

  test('APP-2 the console signs a user in only at their own org: the same username elsewhere is another account', async () => {
    const a = await signUpTenant(s.container);
    const b = await signUpTenant(s.container);
    await addUser(s.container, b.tenantId, 'bruce');
    const browser = new TestBrowser();
    const config = await client.discovery(new URL(s.issuer), 'canopy-console', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const auth = client.buildAuthorizationUrl(config, {
      redirect_uri: `${s.issuer}/console/`,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      org: a.organization.domain!,
    });
    const login = await browser.follow(auth, s.issuer);
    const page = await login.res.text();
    const refused = await browser.request(new URL(`${login.location.pathname}/login`, s.issuer), {
      form: { username: 'bruce', password: PASSWORD, csrf: inputValue(page, 'csrf')! },
    });
    assert.equal(refused.status, 401);
    assert.match(await refused.text(), /Incorrect username or password/);
  });

  test('SESS-1 the console page loads its script from the same origin under a CSP that allows no inline script', async () => {
    const res = await new TestBrowser().request(new URL('/console/', s.issuer));
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(
      csp,
      /require-trusted-types-for 'script'; trusted-types 'none'/,
      'no string ever becomes markup',
    );
    const body = await res.text();
    const src = /<script type="module" src="([^"]+)"/.exec(body)![1]!;
    const script = await new TestBrowser().request(new URL(src.replace(/&amp;/g, '&'), s.issuer));
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type')!, /javascript/);
    assert.doesNotMatch(body.replace(/<script type="module" src="[^"]+"><\/script>/, ''), /<script/);
  });

  test('the console modules are served under one content version, cached for a year, and nothing else is', async () => {
    const page = await (await new TestBrowser().request(new URL('/console/', s.issuer))).text();
    const entry = /<script type="module" src="(\/console\/assets\/([0-9a-f]{12})\/main\.js)"/.exec(page);
    assert.ok(entry, 'the page loads main.js under a versioned path');
    const [, mainPath, version] = entry;
    const main = await new TestBrowser().request(new URL(mainPath!, s.issuer));
    assert.equal(main.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    // A relative import resolves inside the same version: the views are reachable the same way.
    const imports = [...(await main.text()).matchAll(/from '\.\/([\w/-]+\.js)'/g)].map((m) => m[1]!);
    assert.ok(imports.includes('api.js'));
    for (const file of [...imports, 'views/organizations.js']) {
      const res = await new TestBrowser().request(new URL(`/console/assets/${version}/${file}`, s.issuer));
      assert.equal(res.status, 200, file);
    }
    for (const path of [
      `/console/assets/000000000000/main.js`,
      `/console/assets/${version}/nothing.js`,
      `/console/assets/${version}/../console-assets.ts`,
      `/console/assets/${version}/%2e%2e/console-assets.ts`,
    ]) {
      const res = await new TestBrowser().request(new URL(path, s.issuer));
      assert.equal(res.status, 404, path);
    }
  });
});
