import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient, userToken } from '../helpers/api.ts';
import { addUser, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type ClusterNode, type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';
import {
  assertSessionOver,
  introspect,
  registerWebApp,
  relyingParty,
  signIn,
} from '../helpers/sso-session.ts';

// ACC-2, ACC-5 across the nodes of one installation: a session ended through node A's admin API
// (one session by its id, or every other one by a password change) is over at node B at once —
// its access and refresh tokens inactive, userinfo refused, the browser asked to sign in again.

let cluster: OidcCluster;
let a: ClusterNode;
let b: ClusterNode;
let t: Tenant;
let rpAt: (node: ClusterNode) => ReturnType<typeof relyingParty>;
before(async () => {
  cluster = await startOidcCluster(2);
  [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  t = await signUpTenant(a.container);
  const { app, secret } = await registerWebApp(a.container, t.owner, t.tenantId, cluster.issuer);
  rpAt = (node) => relyingParty(cluster.issuer, app.clientId, secret, node.origin);
});
after(() => cluster.close());

describe('ACC-5 ACC-2 ending sessions, seen by every node', () => {
  test('ACC-5 a session ended at node A is over at node B at once', async () => {
    const user = await addUser(a.container, t.tenantId);
    const [rpA, rpB] = [await rpAt(a), await rpAt(b)];
    const { tokens, browser } = await signIn(rpA, { username: user.username });
    assert.equal((await introspect(rpB, tokens.access_token)).active, true, 'node B knows the session');

    const apiA = ApiClient.for(a.container);
    const admin = await userToken(a.container, t.user.id);
    const listed = await apiA.call('get', `/users/${user.id}/sessions`, { token: admin });
    assert.equal(listed.body.items.length, 1, JSON.stringify(listed.body));
    const ended = await apiA.call('delete', `/users/${user.id}/sessions/${listed.body.items[0].id}`, {
      token: admin,
    });
    assert.equal(ended.status, 204, JSON.stringify(ended.body));

    await assertSessionOver(rpB, tokens, 'ended through node A', browser);
  });

  test('ACC-2 a password change at node A ends the other sessions at node B', async () => {
    const user = await addUser(a.container, t.tenantId);
    const [rpA, rpB] = [await rpAt(a), await rpAt(b)];
    const first = await signIn(rpA, { username: user.username });
    const second = await signIn(rpB, { username: user.username });
    // A token bound to no session (as the command line may hold): every session is "another" one.
    const res = await ApiClient.for(a.container).call('post', '/me/password', {
      token: await userToken(a.container, user.id),
      body: { currentPassword: PASSWORD, newPassword: 'violet tractor umbrella sunrise' },
    });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    await assertSessionOver(rpB, first.tokens, 'first session, seen at node B', first.browser);
    await assertSessionOver(rpB, second.tokens, 'second session, seen at node B', second.browser);
  });
});
