import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { runAgainst } from '../cli/run-cli.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { operator, signUpTenant } from '../helpers/factories.ts';
import { type ClusterNode, type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';
import {
  authorize,
  introspect,
  REDIRECT_URI,
  refresh,
  registerWebApp,
  relyingParty,
  signIn,
} from '../helpers/sso-session.ts';

// SEC-11: `keys revoke` withdraws a signing key at once, on every node. What Canopy signs are ID
// tokens (access and refresh tokens are opaque); where Canopy itself accepts an ID token, as
// id_token_hint at the authorization and end-session endpoints, one signed by a revoked key is
// refused. Each relying party below talks to one node, as if the load balancer had chosen it.

const withRedis = process.env.REDIS_URL
  ? false
  : 'REDIS_URL is not set: the nodes share no signal bus, so cross-node revocation is not tested in this run';

let cluster: OidcCluster;
before(async () => {
  cluster = await startOidcCluster(2);
});
after(() => cluster.close());

/** A tenant with a first-party web app, set up through `node`; `rpAt(n)` reaches it through node n. */
async function appThrough(node: ClusterNode) {
  const t = await signUpTenant(node.container);
  const { app, secret } = await registerWebApp(node.container, t.owner, t.tenantId, cluster.issuer);
  return { rpAt: (via: ClusterNode) => relyingParty(cluster.issuer, app.clientId, secret, via.origin) };
}

const kidOf = (jwt: string): string =>
  (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

async function jwks(node: ClusterNode): Promise<{ kids: string[]; cacheControl: string | null }> {
  const res = await fetch(`${node.origin}/oidc/jwks`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { keys: { kid: string }[] };
  return { kids: body.keys.map((k) => k.kid), cacheControl: res.headers.get('cache-control') };
}

/** Polls until `node` no longer publishes `kid`; answers how long that took, or fails after 2 s. */
async function goneFrom(node: ClusterNode, kid: string, what: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 2000) {
    if (!(await jwks(node)).kids.includes(kid)) return performance.now() - started;
    await sleep(10);
  }
  assert.fail(`${what}: ${kid} is still published after 2 s`);
}

/** The end-session endpoint given `idToken` as id_token_hint: the confirmation page, or an error page. */
async function endSessionWithHint(rp: client.Configuration, browser: TestBrowser, idToken: string) {
  const res = await browser.request(client.buildEndSessionUrl(rp, { id_token_hint: idToken }));
  return { status: res.status, html: await res.text() };
}

/** An authorization request carrying `idToken` as id_token_hint: where the browser comes back to the app. */
async function authorizeWithHint(rp: client.Configuration, browser: TestBrowser, idToken: string) {
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    id_token_hint: idToken,
  });
  const { location } = await browser.follow(url, url.origin);
  assert.equal(location.origin, new URL(REDIRECT_URI).origin, `back to the app, not ${location}`);
  return location.searchParams;
}

/** Both endpoints accept the hint (the session lives): the controls that make the refusals mean something. */
async function assertHintAccepted(
  rp: client.Configuration,
  browser: TestBrowser,
  idToken: string,
  at: string,
) {
  const page = await endSessionWithHint(rp, browser, idToken);
  assert.equal(page.status, 200, `${at}: end-session with the hint: ${page.html.slice(0, 300)}`);
  assert.match(page.html, /Sign out of Canopy\?/);
  const back = await authorizeWithHint(rp, browser, idToken);
  assert.ok(back.get('code'), `${at}: authorization with the hint: ${back}`);
}

/** oidc-provider answers invalid_request "could not validate id_token_hint" at both endpoints. */
async function assertHintRefused(
  rp: client.Configuration,
  browser: TestBrowser,
  idToken: string,
  at: string,
) {
  const page = await endSessionWithHint(rp, browser, idToken);
  assert.equal(page.status, 400, `${at}: end-session accepted the hint`);
  assert.match(page.html, /could not validate id_token_hint/);
  assert.doesNotMatch(page.html, /Sign out of Canopy\?/);
  const back = await authorizeWithHint(rp, browser, idToken);
  assert.equal(back.get('code'), null, `${at}: authorization accepted the hint`);
  assert.equal(back.get('error'), 'invalid_request');
  assert.equal(back.get('error_description'), 'could not validate id_token_hint');
}

describe('SEC-11 a revoked signing key, seen by the provider', () => {
  test('SEC-11 the node that revokes drops the key from /oidc/jwks at once and refuses ID tokens it signed; sessions live on', async () => {
    const [a] = cluster.nodes as [ClusterNode];
    const { rpAt } = await appThrough(a);
    const rp = await rpAt(a);
    const { tokens, browser } = await signIn(rp);
    const kid = kidOf(tokens.id_token!);
    assert.ok((await jwks(a)).kids.includes(kid), 'the signing key is published');
    await assertHintAccepted(rp, browser, tokens.id_token!, 'before the revocation');

    const { replacement } = await a.container.signingKeys.revoke(operator(), kid);
    assert.ok(replacement);
    await goneFrom(a, kid, 'node A');
    const published = await jwks(a);
    assert.ok(published.kids.includes(replacement.kid), 'the replacement is published');
    assert.equal(published.cacheControl, 'public, max-age=60', 'what relying parties may cache');
    await assertHintRefused(rp, browser, tokens.id_token!, 'after the revocation');

    // Nobody signs in again: the session and the opaque tokens are not signed.
    assert.equal((await introspect(rp, tokens.access_token)).active, true, 'the access token is active');
    const silent = await authorize(rp, browser);
    assert.equal(silent.kind, 'signed-in', 'the session lives on');
    if (silent.kind === 'signed-in') {
      assert.equal(kidOf(silent.tokens.id_token!), replacement.kid, 'new ID tokens: the replacement');
      await assertHintAccepted(rp, browser, silent.tokens.id_token!, 'a new ID token');
    }
    await refresh(rp, tokens);

    // A node started later (a restart) never publishes it again, and refuses it too.
    const later = await cluster.startNode();
    assert.equal((await jwks(later)).kids.includes(kid), false, 'published again after a restart');
    await assertHintRefused(await rpAt(later), browser, tokens.id_token!, 'a node started later');
  });

  test('SEC-11 a key revoked through node A (keys revoke) is gone from node B at once, and node B refuses ID tokens it signed', {
    skip: withRedis,
  }, async () => {
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const { rpAt } = await appThrough(a);
    const rpB = await rpAt(b);
    const { tokens, browser } = await signIn(rpB);
    const kid = kidOf(tokens.id_token!);
    assert.ok((await jwks(b)).kids.includes(kid), 'node B publishes the key');
    await assertHintAccepted(rpB, browser, tokens.id_token!, 'node B before the revocation');

    const cli = await runAgainst(a.container, ['keys', 'revoke', kid]);
    assert.equal(cli.code, 0, cli.err);
    assert.match(cli.out, /Running nodes were told through Redis/);
    const took = await goneFrom(b, kid, 'node B');
    assert.ok(took < 2000, `node B dropped the key after ${Math.round(took)} ms`);
    const replacement = (await a.container.signingKeys.list()).find(
      (k) => k.alg === 'ES256' && k.status === 'active',
    );
    assert.ok(
      replacement && (await jwks(b)).kids.includes(replacement.kid),
      'node B publishes the replacement',
    );
    await assertHintRefused(rpB, browser, tokens.id_token!, 'node B after the revocation');
  });
});
