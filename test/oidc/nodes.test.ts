import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as client from 'openid-client';
import { BUILT_IN_ROLES } from '../../src/modules/roles/built-in-roles.ts';
import { eventually } from '../helpers/eventually.ts';
import { addUser, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type ClusterNode, type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';
import {
  assertSessionOver,
  authorize,
  introspect,
  logout,
  refresh,
  registerWebApp,
  relyingParty,
  signIn,
  type Tokens,
  userinfo,
} from '../helpers/sso-session.ts';

// SESS-2 "across restarts and across every node of a cluster": nodes of one installation share the
// database (and Redis, when set) and the public URL; a load balancer may send any request to any
// node. Each relying party below talks to one node, as if the balancer had chosen it.

const MINUTE = 60_000;
const REDIS_URL = process.env.REDIS_URL;
const withRedis = REDIS_URL
  ? false
  : 'REDIS_URL is not set: node-to-node signals (Redis pub/sub) are not tested in this run';

let cluster: OidcCluster;
before(async () => {
  cluster = await startOidcCluster(2);
});
after(() => cluster.close());

/** A tenant with these session settings and a first-party web app, set up through `node`. */
async function tenantWithApp(node: ClusterNode, settings: { sessionTimeoutMinutes?: number } = {}) {
  const c = node.container;
  const t = await signUpTenant(c);
  if (settings.sessionTimeoutMinutes)
    await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, settings);
  const { app, secret } = await registerWebApp(c, t.owner, t.tenantId, cluster.issuer);
  /** The app's relying party, reaching the installation through `via`. */
  const rpAt = (via: ClusterNode) => relyingParty(cluster.issuer, app.clientId, secret, via.origin);
  return { t, rpAt };
}

describe('SESS-2 any node, any restart', () => {
  test('SESS-2 a session opened at node A is used at node B: refresh, userinfo, introspection, authorization', async () => {
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const { rpAt } = await tenantWithApp(a, { sessionTimeoutMinutes: 15 });
    const [rpA, rpB] = [await rpAt(a), await rpAt(b)];
    const { tokens, browser } = await signIn(rpA);

    assert.equal((await introspect(rpB, tokens.access_token)).active, true, 'introspection at B');
    await userinfo(rpB, tokens);
    const rotated = await refresh(rpB, tokens);
    assert.equal((await authorize(rpB, browser)).kind, 'signed-in', 'no new sign-in at B');

    // The idle clock is one for the installation: uses alternating between nodes keep it alive.
    // (Each step visits the provider as well as refreshing: see the SESS-2 storage tests in
    // sessions.test.ts for refresh-only activity.)
    let current: Tokens = rotated;
    for (const [i, [visit, use]] of [
      [b, a],
      [a, b],
      [b, a],
      [a, b],
    ].entries()) {
      cluster.clock.advance(10 * MINUTE);
      const at = `${(i + 1) * 10} min after sign-in`;
      const name = (n: ClusterNode | undefined) => (n === a ? 'A' : 'B');
      const visited = await authorize(visit === a ? rpA : rpB, browser);
      assert.equal(visited.kind, 'signed-in', `${at}: visit at node ${name(visit)} asked for a sign-in`);
      current = await refresh(use === a ? rpA : rpB, current).catch((err: Error) =>
        assert.fail(`${at}: refresh at node ${name(use)}: ${err.message}`),
      );
    }
    // …and once it lapses, the session is over at every node.
    cluster.clock.advance(16 * MINUTE);
    await assertSessionOver(rpA, current, 'idle 16 min, judged at node A');
    await assertSessionOver(rpB, current, 'idle 16 min, judged at node B', browser);
  });

  test('SESS-2 a session survives a restart: a node started later on the same database takes over', async () => {
    const first = await cluster.startNode();
    const { rpAt } = await tenantWithApp(first, { sessionTimeoutMinutes: 30 });
    const { tokens, browser } = await signIn(await rpAt(first));
    cluster.clock.advance(10 * MINUTE);
    await first.close(); // the node that signed the user in is gone

    const second = await cluster.startNode();
    const rp = await rpAt(second);
    assert.equal((await introspect(rp, tokens.access_token)).active, true, 'access token after the restart');
    await userinfo(rp, tokens);
    const next = await refresh(rp, tokens);
    assert.equal((await authorize(rp, browser)).kind, 'signed-in', 'no new sign-in after the restart');
    // The idle clock lives in the shared database too: 31 min after the last use, the new node ends it.
    cluster.clock.advance(31 * MINUTE);
    await assertSessionOver(rp, next, 'idle 31 min after the restart, 30 min timeout', browser);
  });
});

describe('cross-node session state (Redis)', () => {
  let t: Tenant;
  let rpA: client.Configuration;
  let rpB: client.Configuration;
  before(async () => {
    if (!REDIS_URL) return;
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const setup = await tenantWithApp(a);
    t = setup.t;
    [rpA, rpB] = [await setup.rpAt(a), await setup.rpAt(b)];
  });

  test('SESS-7 a logout through node A ends the session at node B at once', { skip: withRedis }, async () => {
    const { tokens, browser } = await signIn(rpA);
    assert.equal((await introspect(rpB, tokens.access_token)).active, true, 'active at B before the logout');
    await logout(rpA, browser, tokens);
    await assertSessionOver(rpB, tokens, 'logged out through node A, used at node B', browser);
  });

  test('USR-3 disabling a user through node A makes node B answer inactive at once', {
    skip: withRedis,
  }, async () => {
    const [a] = cluster.nodes as [ClusterNode];
    const user = await addUser(a.container, t.tenantId);
    const { tokens, browser } = await signIn(rpA, { username: user.username });
    assert.equal((await introspect(rpB, tokens.access_token)).active, true, 'active at B before');
    await a.container.users.disable(t.owner, t.tenantId, user.id);
    await assertSessionOver(rpB, tokens, 'user disabled through node A, used at node B', browser);
    // Node B's index knows the user is disabled: a new sign-in there is refused.
    const page = await authorize(rpB, browser);
    if (page.kind !== 'sign-in-page') assert.fail('expected the sign-in page');
    await assert.rejects(page.signIn(user.username), /sign-in did not finish/);
  });

  test('ROLE-6 a role assigned through node A shows in node B introspection', {
    skip: withRedis,
  }, async () => {
    const [a] = cluster.nodes as [ClusterNode];
    const user = await addUser(a.container, t.tenantId);
    const { tokens } = await signIn(rpA, { username: user.username });
    assert.deepEqual((await introspect(rpB, tokens.access_token)).org_roles, [], 'no role yet, seen at B');
    await a.container.assignments.assign(t.owner, t.tenantId, {
      userId: user.id,
      roleId: BUILT_IN_ROLES.find((r) => r.name === 'Audit Viewer')!.id,
      organizationId: t.tenantId,
    });
    const started = performance.now();
    const seen = await eventually(async () => {
      const roles = (await introspect(rpB, tokens.access_token)).org_roles as { roles: string[] }[];
      return roles.some((line) => line.roles.includes('Audit Viewer'));
    });
    assert.ok(seen, 'node B reports the new role within 2 s');
    assert.ok(performance.now() - started < 2000);
  });
});
