import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as client from 'openid-client';
import { AppError } from '../../src/platform/errors/index.ts';
import { operator, signUpTenant } from '../helpers/factories.ts';
import { type ClusterNode, type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';
import {
  introspect,
  oauthError,
  REDIRECT_URI,
  refresh,
  relyingParty,
  signIn,
  type Tokens,
  userinfo,
} from '../helpers/sso-session.ts';

// Concurrent refresh (issue 12): an app whose workers refresh one refresh token at once, through
// different nodes, is not taken for a thief within its reuse interval; a reuse after it still
// revokes the grant. The shared store holds when each token was consumed, stamped from the
// injected clock or from real time depending on the store, so every test starts the cluster's
// clock at real time and judges "after the interval" by moving it well past.

const SECOND = 1000;

let cluster: OidcCluster;
let a: ClusterNode;
let b: ClusterNode;
before(async () => {
  cluster = await startOidcCluster(2, { clockStart: new Date() });
  [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
});
after(() => cluster.close());

/** A tenant's first-party web app (with `settings`), and its relying party reaching node A and node B. */
async function webApp(settings: { refreshTokenReuseSeconds?: number } = {}) {
  cluster.clock.set(new Date());
  const t = await signUpTenant(a.container);
  const { app, clientSecret } = await a.container.apps.create(operator(), t.tenantId, {
    name: `Workers ${Math.random().toString(36).slice(2, 8)}`,
    kind: 'web',
    redirectUris: [REDIRECT_URI],
    firstParty: true,
    ...settings,
  });
  const rp = (node: ClusterNode) => relyingParty(cluster.issuer, app.clientId, clientSecret, node.origin);
  return { t, app, rpA: await rp(a), rpB: await rp(b) };
}

async function assertActive(rp: client.Configuration, token: string, expected: boolean, what: string) {
  assert.equal((await introspect(rp, token)).active, expected, `${what}: active should be ${expected}`);
}

async function assertGrantRevoked(rp: client.Configuration, pairs: Tokens[], why: string) {
  for (const [i, pair] of pairs.entries()) {
    await assertActive(rp, pair.access_token, false, `${why}: access token ${i}`);
    await assertActive(rp, pair.refresh_token!, false, `${why}: refresh token ${i}`);
  }
  assert.equal(await oauthError(refresh(rp, pairs.at(-1)!)), 'invalid_grant', `${why}: refresh still works`);
}

describe('REL-5 concurrent refresh: a per-app refresh-token reuse interval', () => {
  test('REL-5 two refreshes of one token at once, on two nodes, both succeed; both pairs stay valid', async () => {
    const { app, rpA, rpB } = await webApp();
    assert.equal(app.refreshTokenReuseSeconds, 5, 'the default interval');
    const { tokens } = await signIn(rpA);

    const [fromA, fromB] = await Promise.all([refresh(rpA, tokens), refresh(rpB, tokens)]);
    assert.notEqual(fromA.refresh_token, fromB.refresh_token, 'each request got its own pair');
    for (const [node, pair] of [
      ['A', fromA],
      ['B', fromB],
    ] as const) {
      await assertActive(rpB, pair.access_token, true, `the access token issued at node ${node}`);
      await assertActive(rpA, pair.refresh_token!, true, `the refresh token issued at node ${node}`);
    }
    // The grace is the token endpoint's alone: introspection sees the rotated token as used.
    await assertActive(rpA, tokens.refresh_token!, false, 'the rotated refresh token');

    // A duplicate arriving after the first one finished (still within the interval), at the other node.
    const first = await refresh(rpA, fromA);
    const duplicate = await refresh(rpB, fromA);
    await userinfo(rpB, first);
    await userinfo(rpA, duplicate);
    // Every line goes on: the winner's, the duplicate's, and the concurrent request's.
    await refresh(rpB, first);
    await refresh(rpA, duplicate);
    await refresh(rpA, fromB);
  });

  test('REL-5 a reuse after the interval revokes the whole grant, the winner’s tokens included', async () => {
    const { rpA, rpB } = await webApp({ refreshTokenReuseSeconds: 2 });
    const { tokens } = await signIn(rpA);
    const winner = await refresh(rpA, tokens);
    await assertActive(rpB, winner.access_token, true, 'the winner’s access token before the replay');

    cluster.clock.advance(62 * SECOND);
    assert.equal(await oauthError(refresh(rpB, tokens)), 'invalid_grant', 'the replay is refused');
    await assertGrantRevoked(rpA, [tokens, winner], 'after a replay');
  });

  test('REL-5 an interval of 0 keeps strict reuse detection: the second use revokes the grant at once', async () => {
    const { t, app, rpA, rpB } = await webApp();
    const changed = await a.container.apps.update(t.owner, t.tenantId, app.id, {
      refreshTokenReuseSeconds: 0,
    });
    assert.equal(changed.refreshTokenReuseSeconds, 0);
    const { tokens } = await signIn(rpA);
    const winner = await refresh(rpA, tokens);
    assert.equal(await oauthError(refresh(rpB, tokens)), 'invalid_grant', 'the immediate reuse is refused');
    await assertGrantRevoked(rpB, [tokens, winner], 'after an immediate reuse with no interval');
  });

  test('REL-5 the interval is a whole number of seconds from 0 to 60, named when refused', async () => {
    const t = await signUpTenant(a.container);
    for (const bad of [61, -1, 2.5, '5', null]) {
      const refused = await a.container.apps
        .create(operator(), t.tenantId, {
          name: 'Refused',
          kind: 'spa',
          redirectUris: [REDIRECT_URI],
          refreshTokenReuseSeconds: bad,
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      assert.ok(refused instanceof AppError, `${JSON.stringify(bad)} was accepted`);
      assert.equal(refused.code, 'request.invalid_input');
      const fields = (refused.details?.fields ?? []) as { field: string }[];
      assert.deepEqual(
        fields.map((f) => f.field),
        ['refreshTokenReuseSeconds'],
      );
    }
    const document = (await (await fetch(`${a.origin}/api/v1/openapi.json`)).json()) as {
      components?: unknown;
      paths: Record<string, Record<string, unknown>>;
    };
    const body = JSON.stringify(document.paths['/apps']?.post ?? {}) + JSON.stringify(document.components);
    assert.match(body, /refreshTokenReuseSeconds/, 'the OpenAPI document shows the setting');
  });
});
