import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { federationUrls } from '../../src/modules/identity-providers/index.ts';
import { CLI_CLIENT_ID, CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { providerButtons } from '../helpers/federation-flow.ts';
import { OIDC_SECRET, oidcProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { consoleSignIn } from '../helpers/sso-flow.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../helpers/upstream-idp.ts';

// REL-4: what requests nobody signed in to create — interactions, device codes, federated sign-ins
// started — is capped per source address and minute by one counter, and lives minutes. Addresses
// are set as a proxy would (X-Forwarded-For, one trusted hop). What is stored is read from
// `oidc_models`, the record of every provider artefact whatever the Redis setting.

const CAP = 6;
const TEN_MINUTES_MS = 10 * 60_000;

describe('REL-4 anonymous traffic is capped per address and stores only short-lived things', () => {
  let s: OidcTestServer;
  let upstream: UpstreamIdp;
  let t: Tenant;
  before(async () => {
    s = await startOidcServer({
      config: {
        server: { trustProxy: true, proxyHops: 1 },
        anonymous: { perAddressPerMinute: CAP },
        federation: { allowPrivateNetworks: true }, // the test IdP is on loopback
      },
    });
    upstream = await startUpstreamIdp();
    t = await signUpTenant(s.container, { companyName: 'Umbrella' });
    const provider = await s.container.identityProviders.create(
      t.owner,
      t.tenantId,
      oidcProvider('Umbrella Login', { issuer: upstream.issuer, clientId: 'canopy' }),
    );
    upstream.start([
      {
        client_id: 'canopy',
        client_secret: OIDC_SECRET,
        redirect_uris: [federationUrls(s.issuer, provider.id).oidcRedirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ]);
  });
  after(async () => {
    await s.close();
    await upstream.close();
  });

  const knex = () => s.container.database.knex;
  const stored = async (model: string) =>
    Number((await knex()('oidc_models').where({ model }).count({ n: '*' }).first())?.n ?? 0);
  const browserAt = (address: string) => new TestBrowser({ headers: { 'x-forwarded-for': address } });

  /** The console's authorization request for the tenant's org, as a fresh browser at `address` opens it. */
  async function authorize(address: string, browser = browserAt(address), clientId = CONSOLE_CLIENT_ID) {
    const url = new URL('/oidc/auth', s.issuer);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: `${s.issuer}/console/`,
      scope: 'openid',
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'S256',
      org: t.organization.domain!,
    }).toString();
    const res = await browser.request(url);
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  /** The command line's device authorization request, from `address`. */
  async function deviceAuthorization(address: string) {
    const res = await fetch(new URL('/oidc/device/auth', s.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
      body: new URLSearchParams({ client_id: CLI_CLIENT_ID, scope: 'openid', org: t.organization.domain! }),
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  function assertRefused(res: { status: number; headers: Headers }, what: string) {
    assert.equal(res.status, 429, what);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `${what}: Retry-After ${res.headers.get('retry-after')}`);
  }

  test('REL-4 N anonymous /oidc/auth requests from one address store at most the cap of interactions, each for ≤ 10 minutes; the rest get 429', async () => {
    const before = await stored('Interaction');
    const answers = await Promise.all(Array.from({ length: CAP + 5 }, () => authorize('203.0.113.7')));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [...Array(CAP).fill(303), ...Array(5).fill(429)]);
    for (const refused of answers.filter((a) => a.status === 429)) {
      assertRefused(refused, 'over the cap');
      assert.match(refused.headers.get('content-type') ?? '', /text\/html/);
      assert.match(refused.body, /Too many sign-ins/);
    }
    assert.equal((await stored('Interaction')) - before, CAP, 'one interaction per admitted request');

    // Whatever an anonymous authorization request stored lives ten minutes at most.
    const latest = new Date(s.clock.now().getTime() + TEN_MINUTES_MS);
    const rows = await knex()('oidc_models').select('model', 'expires_at');
    assert.ok(rows.length >= CAP);
    for (const row of rows)
      assert.ok(
        row.expires_at && new Date(row.expires_at) <= latest,
        `${row.model} expires ${row.expires_at}`,
      );

    assert.equal((await authorize('198.51.100.9')).status, 303, 'another address is not affected');
  });

  test('REL-4 an IPv6 /64 is one address', async () => {
    for (let i = 1; i <= CAP; i++) assert.equal((await authorize(`2001:db8:1:2::${i}`)).status, 303);
    assertRefused(await authorize('2001:db8:1:2:ffff:ffff:ffff:ffff'), 'the same /64');
    assert.equal((await authorize('2001:db8:1:3::1')).status, 303, 'the next /64');
  });

  test('REL-4 requests that store nothing do not count: invalid ones, and a signed-in browser’s silent sign-ins', async () => {
    for (let i = 0; i < CAP + 2; i++)
      assert.equal((await authorize('192.0.2.50', undefined, 'no-such-client')).status, 400);
    // Signing in stores one interaction; once signed in, authorizations go straight back to the app.
    const { browser } = await consoleSignIn(s, t.organization.domain!, { browser: browserAt('192.0.2.50') });
    for (let i = 0; i < CAP + 2; i++) {
      const silent = await authorize('192.0.2.50', browser);
      assert.equal(silent.status, 303);
      assert.match(silent.headers.get('location')!, /\/console\/\?code=/, 'signed in: no interaction');
    }
    for (let i = 1; i < CAP; i++) assert.equal((await authorize('192.0.2.50')).status, 303);
    assertRefused(await authorize('192.0.2.50'), 'the cap counted only what was stored anonymously');
  });

  test('REL-4 anonymous sessions (code-entry form, a session cookie the provider no longer knows) count too and live ten minutes', async () => {
    // The code-entry page stores a session to hold its form's CSRF secret.
    let cookie: { value: string; sig: string } | undefined;
    for (let i = 0; i < CAP; i++) {
      const browser = browserAt('192.0.2.80');
      const res = await browser.request(new URL('/oidc/device', s.issuer));
      assert.equal(res.status, 200, await res.text());
      cookie = { value: browser.cookie('canopy_session')!, sig: browser.cookie('canopy_session.sig')! };
    }
    assertRefused(await browserAt('192.0.2.80').request(new URL('/oidc/device', s.issuer)), 'code entry');

    // A signed cookie of a session since gone: the provider stores a new session at every request.
    await knex()('oidc_models').where({ model: 'Session' }).del();
    const replay = () => {
      const browser = browserAt('192.0.2.81');
      browser.setCookie('canopy_session', cookie!.value);
      browser.setCookie('canopy_session.sig', cookie!.sig);
      return authorize('192.0.2.81', browser);
    };
    for (let i = 0; i < CAP / 2; i++) assert.equal((await replay()).status, 303);
    assertRefused(await replay(), 'an interaction and a session each time: half as many requests');
    const sessions = await knex()('oidc_models').where({ model: 'Session' }).select('payload', 'expires_at');
    assert.equal(sessions.length, CAP / 2);
    const latest = new Date(s.clock.now().getTime() + TEN_MINUTES_MS);
    for (const row of sessions)
      assert.ok(new Date(row.expires_at) <= latest, `session expires ${row.expires_at}`);
  });

  test('REL-4 device authorization is capped by the same counter, with an OAuth error', async () => {
    const before = await stored('DeviceCode');
    for (let i = 0; i < CAP / 2; i++) assert.equal((await authorize('192.0.2.60')).status, 303);
    for (let i = 0; i < CAP / 2; i++) {
      const res = await deviceAuthorization('192.0.2.60');
      assert.equal(res.status, 200, res.body);
      assert.ok((JSON.parse(res.body) as { expires_in: number }).expires_in <= 600);
    }
    const refused = await deviceAuthorization('192.0.2.60');
    assertRefused(refused, 'device authorization over the cap');
    assert.equal((JSON.parse(refused.body) as { error: string }).error, 'temporarily_unavailable');
    assert.equal((await stored('DeviceCode')) - before, CAP / 2);
    assert.equal((await deviceAuthorization('192.0.2.61')).status, 200, 'another address is not affected');
  });

  test('REL-4 a federated sign-in start is capped by the same counter', async () => {
    const address = '192.0.2.70';
    const browser = browserAt(address);
    const login = await browser.follow(
      new URL((await authorize(address, browser)).headers.get('location')!, s.issuer),
      s.issuer,
    );
    const page = await login.res.text();
    const button = providerButtons(page).find((b) => b.name === 'Umbrella Login');
    assert.ok(button, page);
    const federate = () =>
      browser.request(new URL(button.action, s.issuer), { form: { csrf: inputValue(page, 'csrf')! } });
    // The interaction was one creation; each start that reaches the provider stores a flow record.
    for (let i = 1; i < CAP; i++) {
      const started = await federate();
      assert.equal(started.status, 303, await started.text());
      assert.ok(started.headers.get('location')!.startsWith(upstream.issuer), 'sent to the provider');
    }
    const refused = await federate();
    assertRefused(refused, 'a start over the cap');
    assert.match(await refused.text(), /Too many sign-ins/);
    assert.equal((await authorize('192.0.2.71')).status, 303, 'another address is not affected');
  });
});
