import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { samlProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { CookieJar, cookieAttributes, type RawResponse, rawRequest } from '../helpers/raw-http.ts';

// SEC-7: every URL Canopy emits is PUBLIC_URL's, whatever Host, X-Forwarded-Host or the request
// target say; discovery and JWKS carry cache headers. SEC-8: cookie flags and names follow
// PUBLIC_URL, whatever the connection or the proxy headers say.
// The servers listen on loopback over plain http while PUBLIC_URL names another origin, as behind
// a TLS-terminating proxy.

const PUBLIC = 'https://id.canopy.example';
const ATTACKER = 'attacker.example';

/** The ways a request can name another host; `target` maps a path to the request target sent. */
const HOSTILE: ReadonlyArray<{
  name: string;
  headers: Record<string, string>;
  target?: (p: string) => string;
}> = [
  { name: 'Host', headers: { host: ATTACKER } },
  {
    name: 'X-Forwarded-Host and -Proto',
    headers: { 'x-forwarded-host': ATTACKER, 'x-forwarded-proto': 'http', 'x-forwarded-port': '8080' },
  },
  {
    name: 'Host and X-Forwarded-Host',
    headers: { host: ATTACKER, 'x-forwarded-host': `${ATTACKER}, other.example` },
  },
  {
    name: 'absolute-form request target',
    headers: { host: ATTACKER },
    target: (p) => `http://${ATTACKER}${p}`,
  },
];

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

function every(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const v of value) every(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) every(v, found);
  return found;
}

/** Every URL-looking attribute value of a page: form actions, links, scripts, stylesheets. */
function pageUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:action|href|src|formaction)="([^"]*)"/g)].map((m) =>
    m[1]!.replace(/&amp;/g, '&'),
  );
}

/** A URL Canopy emits must be PUBLIC_URL or under it, a path on it (never `//host`), or inline `data:`. */
function assertOurs(url: string, where: string): void {
  const ours =
    url === PUBLIC ||
    url.startsWith(`${PUBLIC}/`) ||
    (url.startsWith('/') && !url.startsWith('//')) ||
    url.startsWith('data:');
  assert.ok(ours, `${where}: ${url} is not under ${PUBLIC}`);
}

/** The console's authorization request for the org, as the console at `publicUrl` sends it. */
function authorizePath(domain: string, extra: Record<string, string> = {}, publicUrl = PUBLIC): string {
  return `/oidc/auth?${new URLSearchParams({
    client_id: CONSOLE_CLIENT_ID,
    redirect_uri: `${publicUrl}/console/`,
    response_type: 'code',
    scope: 'openid',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'st4te',
    org: domain,
    ...extra,
  })}`;
}

/**
 * One server per TRUST_PROXY setting behind PUBLIC_URL, started when first asked for and shared by
 * the SEC-7 and SEC-8 tests of this file (each test works in a tenant of its own).
 */
const behindProxy = new Map<boolean, Promise<OidcTestServer>>();
function serverBehindProxy(trustProxy: boolean): Promise<OidcTestServer> {
  if (!behindProxy.has(trustProxy))
    behindProxy.set(trustProxy, startOidcServer({ config: { server: { publicUrl: PUBLIC, trustProxy } } }));
  return behindProxy.get(trustProxy)!;
}
after(async () => {
  for (const server of behindProxy.values()) await (await server).close();
});

for (const trustProxy of [false, true]) {
  describe(`SEC-7 PUBLIC_URL ${PUBLIC}, TRUST_PROXY=${trustProxy}`, () => {
    let s: OidcTestServer;
    let t: Tenant;
    before(async () => {
      s = await serverBehindProxy(trustProxy);
      t = await signUpTenant(s.container, { companyName: 'Host Header Co' });
    });

    const send = (
      hostile: (typeof HOSTILE)[number],
      path: string,
      init: Parameters<typeof rawRequest>[2] = {},
    ) =>
      rawRequest(s.issuer, hostile.target ? hostile.target(path) : path, {
        ...init,
        headers: { ...hostile.headers, ...init.headers },
      });

    test('SEC-7 discovery: every endpoint is under PUBLIC_URL whatever the request names; cached publicly for minutes', async () => {
      const clean = await rawRequest(s.issuer, '/.well-known/openid-configuration');
      assert.equal(clean.status, 200, clean.body);
      const document = JSON.parse(clean.body) as Record<string, unknown>;
      assert.equal(document.issuer, PUBLIC);
      for (const key of [
        'authorization_endpoint',
        'token_endpoint',
        'jwks_uri',
        'device_authorization_endpoint',
      ])
        assert.equal(typeof document[key], 'string', key);
      for (const url of every(document).filter((v) => /^https?:/.test(v))) assertOurs(url, 'discovery');
      for (const hostile of HOSTILE) {
        const res = await send(hostile, '/.well-known/openid-configuration');
        assert.equal(res.status, 200, `${hostile.name}: ${res.body}`);
        assert.deepEqual(JSON.parse(res.body), document, `${hostile.name} changed the discovery document`);
        assert.ok(!res.body.includes(ATTACKER), hostile.name);
        assertPubliclyCached(res, 300);
      }
    });

    test('SEC-7 JWKS: the same keys whatever the request names; cached no longer than discovery', async () => {
      const clean = await rawRequest(s.issuer, '/oidc/jwks');
      assert.equal(clean.status, 200, clean.body);
      assert.ok((JSON.parse(clean.body) as { keys: unknown[] }).keys.length > 0);
      for (const hostile of HOSTILE) {
        const res = await send(hostile, '/oidc/jwks');
        assert.equal(res.status, 200, hostile.name);
        assert.deepEqual(JSON.parse(res.body), JSON.parse(clean.body), hostile.name);
        assertPubliclyCached(res, 60);
      }
    });

    test('SEC-7 every other provider answer stays out of shared caches (no-store)', async () => {
      const token = await rawRequest(s.issuer, '/oidc/token', { form: { grant_type: 'password' } });
      assert.equal(token.status, 400);
      assert.equal(token.headers['cache-control'], 'no-store');
      const device = await rawRequest(s.issuer, '/oidc/device/auth', {
        form: { client_id: 'canopy-cli', scope: 'openid', org: t.organization.domain! },
      });
      assert.equal(device.status, 200, device.body);
      assert.equal(device.headers['cache-control'], 'no-store');
      const auth = await rawRequest(s.issuer, authorizePath(t.organization.domain!));
      assert.equal(auth.status, 303, auth.body);
      assert.equal(auth.headers['cache-control'], 'no-store');
    });

    test('SEC-7 device authorization: verification_uri and verification_uri_complete are under PUBLIC_URL', async () => {
      for (const hostile of HOSTILE) {
        const res = await send(hostile, '/oidc/device/auth', {
          form: { client_id: 'canopy-cli', scope: 'openid', org: t.organization.domain! },
        });
        assert.equal(res.status, 200, `${hostile.name}: ${res.body}`);
        const body = JSON.parse(res.body) as Record<string, string>;
        assert.equal(body.verification_uri, `${PUBLIC}/oidc/device`, hostile.name);
        assert.ok(
          body.verification_uri_complete!.startsWith(`${PUBLIC}/oidc/device?user_code=`),
          hostile.name,
        );
        // The code-entry page's form posts to PUBLIC_URL too.
        const page = await send(hostile, '/oidc/device');
        assert.equal(page.status, 200, hostile.name);
        assert.ok(!page.body.includes(ATTACKER), `${hostile.name}: the code-entry page names the attacker`);
        for (const url of pageUrls(page.body)) assertOurs(url, `${hostile.name}: code-entry page`);
      }
    });

    test('SEC-7 authorization, sign-in page and resume: every redirect, form and link is under PUBLIC_URL', async () => {
      for (const hostile of HOSTILE) {
        const jar = new CookieJar();
        const auth = await send(hostile, authorizePath(t.organization.domain!), { jar });
        assert.equal(auth.status, 303, `${hostile.name}: ${auth.body}`);
        const interaction = auth.headers.location!;
        assertOurs(interaction, `${hostile.name}: redirect to the interaction`);
        const uid = /\/interaction\/([^/?#]+)$/.exec(interaction)?.[1];
        assert.ok(uid, interaction);

        const login = await send(hostile, `/interaction/${uid}`, { jar });
        assert.equal(login.status, 200, `${hostile.name}: ${login.body}`);
        assert.match(login.body, /name="password"/);
        assert.ok(!login.body.includes(ATTACKER), `${hostile.name}: the sign-in page names the attacker`);
        for (const url of pageUrls(login.body)) assertOurs(url, `${hostile.name}: sign-in page`);

        const action = /<form[^>]*action="([^"]*\/login)"/.exec(login.body)?.[1];
        assert.ok(action, 'the sign-in form');
        const csrf = /name="csrf" value="([^"]*)"/.exec(login.body)?.[1] ?? '';
        const signedIn = await send(hostile, action, {
          jar,
          form: { username: 'founder', password: PASSWORD, csrf },
        });
        assert.equal(signedIn.status, 303, `${hostile.name}: ${signedIn.body}`);
        const resume = signedIn.headers.location!;
        assert.ok(resume.startsWith(`${PUBLIC}/oidc/auth/`), `${hostile.name}: resumes at ${resume}`);

        const back = await send(hostile, new URL(resume).pathname, { jar });
        assert.equal(back.status, 303, `${hostile.name}: ${back.body}`);
        assert.ok(back.headers.location!.startsWith(`${PUBLIC}/console/?code=`), back.headers.location);
      }
    });

    test('SEC-7 SAML SP metadata: entity id and assertion consumer are under PUBLIC_URL; cached publicly', async () => {
      const p = await s.container.identityProviders.create(t.owner, t.tenantId, samlProvider('Corp SAML'));
      for (const hostile of HOSTILE) {
        const res = await send(hostile, `/saml/${p.id}/metadata`);
        assert.equal(res.status, 200, `${hostile.name}: ${res.body}`);
        assert.ok(!res.body.includes(ATTACKER), hostile.name);
        assert.ok(res.body.includes(`entityID="${PUBLIC}/saml/${p.id}/metadata"`), res.body);
        assert.ok(res.body.includes(`Location="${PUBLIC}/saml/${p.id}/acs"`), res.body);
        assert.match(String(res.headers['cache-control']), /^public, max-age=\d+$/);
      }
    });
  });
}

function assertPubliclyCached(res: RawResponse, atMostSeconds: number): void {
  const cacheControl = String(res.headers['cache-control']);
  const maxAge = Number(/^public, max-age=(\d+)$/.exec(cacheControl)?.[1]);
  assert.ok(maxAge > 0 && maxAge <= atMostSeconds, `Cache-Control: ${cacheControl}`);
  // The provider answers CORS with the request's Origin: a shared cache must keep one copy per Origin.
  assert.match(String(res.headers.vary), /\bOrigin\b/i);
}

/** Signs in through the console client with plain-http requests; every Set-Cookie line on the way. */
async function signInCollectingCookies(
  s: OidcTestServer,
  domain: string,
  headers: Record<string, string> = {},
  publicUrl = PUBLIC,
) {
  const jar = new CookieJar();
  const lines: string[] = [];
  const step = async (target: string, form?: Record<string, string>) => {
    const res = await rawRequest(s.issuer, target, { jar, headers, ...(form ? { form } : {}) });
    lines.push(...res.setCookies);
    return res;
  };
  const auth = await step(authorizePath(domain, {}, publicUrl));
  assert.equal(auth.status, 303, auth.body);
  const login = await step(auth.headers.location!.replace(/^https?:\/\/[^/]+/, ''));
  assert.equal(login.status, 200, login.body);
  const action = /<form[^>]*action="([^"]*\/login)"/.exec(login.body)![1]!;
  const csrf = /name="csrf" value="([^"]*)"/.exec(login.body)?.[1] ?? '';
  const signedIn = await step(action.replace(/^https?:\/\/[^/]+/, ''), {
    username: 'founder',
    password: PASSWORD,
    csrf,
  });
  assert.equal(signedIn.status, 303, signedIn.body);
  const back = await step(new URL(signedIn.headers.location!).pathname);
  assert.equal(back.status, 303, back.body);
  assert.match(back.headers.location!, /\/console\/\?code=/);
  return { jar, lines };
}

describe('SEC-8 cookies when PUBLIC_URL is https', () => {
  for (const trustProxy of [false, true]) {
    test(`SEC-8 TRUST_PROXY=${trustProxy}, plain-http hop: session cookie __Host- Secure HttpOnly Path=/, interaction cookies Secure HttpOnly`, async () => {
      const s = await serverBehindProxy(trustProxy);
      const t = await signUpTenant(s.container);
      // What a proxy that is trusted might say about the hop: it changes nothing.
      const headers: Record<string, string> = trustProxy ? { 'x-forwarded-proto': 'http' } : {};
      const { lines } = await signInCollectingCookies(s, t.organization.domain!, headers);
      for (const name of ['__Host-canopy_session', '__Host-canopy_session.sig']) {
        const session = cookieAttributes(lines, name);
        assert.ok(session, `${name} is set: ${lines.join('\n')}`);
        assert.equal(session.secure, true, name);
        assert.equal(session.httponly, true, name);
        assert.equal(session.path, '/', name);
        assert.equal(session.domain, undefined, name);
        assert.equal(session.samesite, 'lax', name);
      }
      for (const name of ['__Secure-canopy_interaction', '__Secure-canopy_resume']) {
        const cookie = cookieAttributes(lines, name);
        assert.ok(cookie, `${name} is set: ${lines.join('\n')}`);
        assert.equal(cookie.secure, true, name);
        assert.equal(cookie.httponly, true, name);
      }
      // No cookie of any name without Secure, and none with the provider's default names.
      for (const line of lines) assert.match(line, /;\s*secure\b/i, line);
      assert.ok(!lines.some((l) => /^_(session|interaction)/.test(l)), lines.join('\n'));

      // Canopy's own cookies follow the same rule (the sign-up page's browser id).
      const signup = await rawRequest(s.issuer, '/signup', { headers });
      assert.equal(signup.status, 200);
      const browser = cookieAttributes(signup.setCookies, '__Host-canopy_browser');
      assert.ok(browser, signup.setCookies.join('\n'));
      assert.equal(browser.secure, true);
      assert.equal(browser.httponly, true);
      assert.equal(browser.path, '/');
    });
  }

  test('SEC-8 a session cookie planted without the __Host- prefix (as a sibling subdomain could) is not read', async () => {
    const s = await serverBehindProxy(false); // TRUST_PROXY's default
    const t = await signUpTenant(s.container);
    const { jar } = await signInCollectingCookies(s, t.organization.domain!);
    const silent = authorizePath(t.organization.domain!, { prompt: 'none' });

    const own = await rawRequest(s.issuer, silent, { jar });
    assert.equal(own.status, 303, own.body);
    assert.match(own.headers.location!, /[?&]code=/, 'the real session cookie signs in silently');

    const planted = new CookieJar();
    planted.set('canopy_session', jar.get('__Host-canopy_session')!);
    planted.set('canopy_session.sig', jar.get('__Host-canopy_session.sig')!);
    planted.set('_session', jar.get('__Host-canopy_session')!);
    const res = await rawRequest(s.issuer, silent, { jar: planted });
    assert.equal(res.status, 303, res.body);
    assert.match(res.headers.location!, /[?&]error=login_required/, res.headers.location);
  });
});

describe('SEC-8 cookies when PUBLIC_URL is http (the local quick start)', () => {
  let s: OidcTestServer;
  before(async () => {
    s = await startOidcServer();
  });
  after(() => s.close());

  test('SEC-8 no Secure flag and no prefix (browsers would refuse both over http); still HttpOnly', async () => {
    const t = await signUpTenant(s.container);
    const { lines } = await signInCollectingCookies(s, t.organization.domain!, {}, s.issuer);
    const session = cookieAttributes(lines, 'canopy_session');
    assert.ok(session, lines.join('\n'));
    assert.equal(session.secure, undefined);
    assert.equal(session.httponly, true);
    assert.equal(session.path, '/');
    for (const name of ['canopy_interaction', 'canopy_resume']) {
      const cookie = cookieAttributes(lines, name);
      assert.ok(cookie, `${name}: ${lines.join('\n')}`);
      assert.equal(cookie.secure, undefined, name);
      assert.equal(cookie.httponly, true, name);
    }
    assert.ok(!lines.some((l) => /^__(Host|Secure)-/.test(l)), lines.join('\n'));
  });
});
