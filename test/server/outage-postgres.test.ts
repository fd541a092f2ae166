import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import * as oidcClient from 'openid-client';
import { embeddedDatabase } from '../../src/platform/db/database.ts';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { PASSWORD, type Tenant } from '../helpers/factories.ts';
import {
  type OutageNode,
  type SharedDatabase,
  signUpOutageTenant,
  startLoneOutageNode,
  startOutageNode,
} from '../helpers/outage-node.ts';
import { assertUnavailable, eventually, outageRequests } from '../helpers/outage-requests.ts';
import { authorize, REDIRECT_URI, registerWebApp, relyingParty } from '../helpers/sso-session.ts';
import { openTestPglite } from '../helpers/test-database.ts';

// REL-2: PostgreSQL taken away from one node by cutting a TCP proxy between them (the shared
// server is never touched): what needs it answers 503 with Retry-After, /readyz names it, no token
// is issued, and everything answers again once the link is restored, without a restart.

const needsPostgres = process.env.DATABASE_URL
  ? false
  : 'DATABASE_URL is not set: a PostgreSQL outage is simulated with a TCP proxy in front of a PostgreSQL server';
const needsRedis = process.env.REDIS_URL
  ? false
  : 'REDIS_URL is not set: this variant runs a node with Redis';

for (const redis of ['none', 'direct'] as const) {
  const title = redis === 'none' ? 'without Redis' : 'with Redis';
  describe(`REL-2 PostgreSQL unreachable (${title})`, {
    skip: needsPostgres || (redis === 'direct' && needsRedis),
  }, () => {
    let node: OutageNode;
    let t: Tenant;
    let client: { clientId: string; clientSecret: string };
    let issued: string;
    let bearer: string;
    let http: ReturnType<typeof outageRequests>;

    before(async () => {
      node = await startLoneOutageNode({ proxyDatabase: true, redis });
      http = outageRequests(node.origin);
      ({ t, client, bearer } = await signUpOutageTenant(node));
      // Warm every cache first: what the node remembers must not stand in for the database.
      const token = await http.token(client.clientId, client.clientSecret);
      assert.equal(token.status, 200, token.text);
      issued = token.body.access_token as string;
      assert.equal((await http.me(bearer)).status, 200);
    });
    after(() => node?.close());

    test('REL-2 with the link cut: tokens, introspection, the admin API, sign-in and /readyz answer 503 with Retry-After', async () => {
      const { app, secret } = await registerWebApp(node.container, t.owner, t.tenantId, node.origin);
      const browser = new TestBrowser();
      const rp = await relyingParty(node.origin, app.clientId, secret);
      const signInPage = await authorize(rp, browser);
      const authorization = oidcClient.buildAuthorizationUrl(rp, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidcClient.calculatePKCECodeChallenge(oidcClient.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      assert.equal(signInPage.kind, 'sign-in-page');

      node.links.database!.cut();
      try {
        assertUnavailable(await http.token(client.clientId, client.clientSecret), 'client credentials', true);
        assertUnavailable(
          await http.introspect(client.clientId, client.clientSecret, issued),
          'introspection',
          true,
        );
        const me = await http.me(bearer);
        assertUnavailable(me, 'GET /api/v1/me');
        assert.equal(me.body.code, 'service.unavailable');
        if (signInPage.kind === 'sign-in-page') {
          const posted = await browser.request(new URL(`${signInPage.at.pathname}/login`, signInPage.at), {
            form: { username: 'founder', password: PASSWORD, csrf: inputValue(signInPage.page, 'csrf')! },
          });
          assert.equal(posted.status, 503, 'the sign-in form');
          assert.ok(Number(posted.headers.get('retry-after')) > 0, 'the sign-in form: Retry-After');
        }
        const page = await http.get(authorization.pathname + authorization.search, { accept: 'text/html' });
        assertUnavailable(page, 'the authorization endpoint');
        assert.match(page.type, /^text\/html/);
        assert.match(page.text, /Canopy is unavailable/);
        const ready = await http.readyz();
        assert.equal(ready.status, 503);
        assert.equal((ready.body.checks as Record<string, string>).database, 'failing');
      } finally {
        node.links.database!.restore();
      }

      await eventually(
        'client credentials',
        async () => (await http.token(client.clientId, client.clientSecret)).status === 200,
      );
      const introspected = await http.introspect(client.clientId, client.clientSecret, issued);
      assert.equal(introspected.status, 200, introspected.text);
      assert.equal(introspected.body.active, true);
      assert.equal((await http.me(bearer)).status, 200);
      const ready = await http.readyz();
      assert.equal(ready.status, 200, ready.text);
    });
  });
}

describe('REL-2 PostgreSQL hung (connections open, nothing answers)', { skip: needsPostgres }, () => {
  let node: OutageNode;

  before(async () => {
    // A serving node waits 15 s for a query's answer; this one 1 s, so that the test is quick.
    node = await startLoneOutageNode({ proxyDatabase: true, queryTimeoutMs: 1_000, redis: 'none' });
  });
  after(() => node?.close());

  test('REL-2 hung: requests on open connections end with the query timeout, 503 with Retry-After; then service resumes', async () => {
    // 20 s is a hang detector (without a query timeout these requests would wait for ever), not a
    // performance bound.
    const http = outageRequests(node.origin, 20_000);
    const { client, bearer } = await signUpOutageTenant(node);
    // Open connections in the pool, as a running node has: the hang catches them mid-use.
    for (let i = 0; i < 3; i++) {
      assert.equal((await http.token(client.clientId, client.clientSecret)).status, 200);
      assert.equal((await http.me(bearer)).status, 200);
    }

    node.links.database!.hang();
    try {
      const me = await http.me(bearer);
      assertUnavailable(me, 'GET /api/v1/me');
      assert.equal(me.body.code, 'service.unavailable');
      // …and one that needs a new connection: the connection timeout ends it (5 s), 503 too.
      assertUnavailable(await http.token(client.clientId, client.clientSecret), 'client credentials', true);
    } finally {
      node.links.database!.restore();
    }

    await eventually('the admin API', async () => (await http.me(bearer)).status === 200, 20_000);
    const token = await http.token(client.clientId, client.clientSecret);
    assert.equal(token.status, 200, token.text);
    assert.equal((await http.readyz()).status, 200);
  });
});

describe('REL-2 the embedded database closed under a running node', () => {
  let pglite: PGlite;
  let shared: SharedDatabase;
  let node: OutageNode;

  before(async () => {
    pglite = await openTestPglite();
    const database = embeddedDatabase(pglite);
    shared = { database, schema: undefined, close: () => database.close() };
    node = await startOutageNode({ shared, redis: 'none' });
  });
  after(async () => {
    await node?.close();
    await shared?.close();
  });

  test('REL-2 tokens and the admin API answer 503 with Retry-After, not 500; /readyz names the database', async () => {
    const http = outageRequests(node.origin);
    const { client, bearer } = await signUpOutageTenant(node);
    assert.equal((await http.token(client.clientId, client.clientSecret)).status, 200);

    await pglite.close();
    assertUnavailable(await http.token(client.clientId, client.clientSecret), 'client credentials', true);
    assertUnavailable(await http.me(bearer), 'GET /api/v1/me');
    const ready = await http.readyz();
    assert.equal(ready.status, 503);
    assert.equal((ready.body.checks as Record<string, string>).database, 'failing');
  });
});
