import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestBrowser } from '../helpers/browser.ts';
import { waitUntil } from '../helpers/child-processes.ts';
import {
  assertSessionOver,
  authorize,
  introspect,
  refresh,
  signIn,
  type Tokens,
  userinfo,
} from '../helpers/sso-session.ts';
import { type ClusterClients, clusterClients, isActive, logout } from './clients.ts';
import { type Cluster, clusterSkipReason, startCluster, withClusterLog } from './harness.ts';
import { nodesIn, summarize } from './recorder.ts';
import { AUDIT_VIEWER } from './world.ts';

// REL-5: three Canopy processes behind HAProxy behave as one installation. Every request of these
// scenarios goes through the balancer (round-robin, so consecutive requests land on different
// nodes), and the decisive checks are then made at each node directly.

const PEOPLE = ['spread', 'leaver', 'disabled', 'promoted', 'idle1', 'idle2', 'idle3'];
/** Node-to-node signals (Redis pub/sub) are asynchronous: a bound for them to arrive, not a speed. */
const SIGNAL_BOUND_MS = 3_000;

describe('REL-5 three nodes behind HAProxy: SESS, USR and ROLE rules hold across nodes', {
  skip: clusterSkipReason(),
}, () => {
  let cluster: Cluster;
  let c: ClusterClients;
  let admin: string;
  before(
    async () => {
      cluster = await startCluster({ usernames: PEOPLE });
      c = await clusterClients(cluster);
      admin = await c.adminToken();
    },
    { timeout: 150_000 },
  );
  after(() => cluster?.close());

  /** Asserts `token` introspects as `active` at every node, asked directly. */
  async function atEveryNode(token: string, active: boolean, what: string): Promise<void> {
    for (const node of cluster.nodes)
      assert.equal(await isActive(await c.webAt(node), token), active, `${what}, asked at ${node.name}`);
  }

  test('REL-5 SESS-1 SESS-2: a sign-in through HAProxy is one session on every node; its uses spread round-robin', () =>
    withClusterLog(cluster, async () => {
      const mark = c.recorder.mark();
      const { tokens, browser } = await signIn(c.web, { username: 'spread' });
      let current: Tokens = tokens;
      for (let round = 0; round < 3; round++) {
        assert.equal((await introspect(c.web, current.access_token)).active, true, `round ${round}`);
        await userinfo(c.web, current);
        current = await refresh(c.web, current);
        assert.equal((await authorize(c.web, browser)).kind, 'signed-in', `round ${round}: no new sign-in`);
      }
      const used = c.recorder.since(mark);
      assert.deepEqual(nodesIn(used).sort(), ['node1', 'node2', 'node3'], summarize(used));
      // Consecutive calls of the app went to different nodes, as round-robin sends them.
      const repeats = used.filter((e, i) => i > 0 && e.node === used[i - 1]!.node);
      assert.ok(repeats.length < used.length / 2, `mostly alternating nodes:\n${summarize(used)}`);

      await atEveryNode(current.access_token, true, 'the access token');
      await atEveryNode(current.refresh_token!, true, 'the refresh token');
      // The chain of rotations crosses every node, each taking over the previous one's token.
      for (const node of cluster.nodes) current = await refresh(await c.webAt(node), current);
      assert.equal((await authorize(c.web, browser)).kind, 'signed-in', 'still signed in');
    }));

  test('REL-5 SESS-7: a logout through HAProxy ends the session and its tokens on every node', () =>
    withClusterLog(cluster, async () => {
      const { tokens, browser } = await signIn(c.web, { username: 'leaver' });
      await atEveryNode(tokens.access_token, true, 'before the logout');
      await logout(c.web, browser, tokens);
      await atEveryNode(tokens.access_token, false, 'the access token after the logout');
      await atEveryNode(tokens.refresh_token!, false, 'the refresh token after the logout');
      await assertSessionOver(c.web, tokens, 'logged out through HAProxy', browser);
    }));

  test('REL-5 USR-3: disabling a user through the admin API makes their tokens inactive on every node at once', () =>
    withClusterLog(cluster, async () => {
      const { tokens, browser } = await signIn(c.web, { username: 'disabled' });
      await atEveryNode(tokens.access_token, true, 'before the user is disabled');
      const res = await c.api('POST', `/users/${cluster.world.users.disabled}/disable`, admin);
      assert.equal(res.status, 200, await res.text());
      // At once: no waiting between the answer and the questions to each node.
      await atEveryNode(tokens.access_token, false, 'the access token of a disabled user');
      await atEveryNode(tokens.refresh_token!, false, 'the refresh token of a disabled user');
      await assertSessionOver(c.web, tokens, 'user disabled through HAProxy', browser);
      const again = await authorize(c.web, new TestBrowser());
      if (again.kind !== 'sign-in-page') assert.fail('expected the sign-in page');
      await assert.rejects(
        again.signIn('disabled'),
        /sign-in did not finish/,
        'a disabled user cannot sign in',
      );
    }));

  test('REL-5 ROLE-6: a role assigned or removed through the admin API shows in introspection on every node', () =>
    withClusterLog(cluster, async () => {
      const { tokens } = await signIn(c.web, { username: 'promoted' });
      const rolesAt = async (node: Cluster['nodes'][number]) =>
        (
          (await introspect(await c.webAt(node), tokens.access_token)).org_roles as { roles: string[] }[]
        ).flatMap((line) => line.roles);
      for (const node of cluster.nodes)
        assert.deepEqual(await rolesAt(node), [], `no role yet at ${node.name}`);

      const assigned = await c.api('POST', '/role-assignments', admin, {
        userId: cluster.world.users.promoted,
        roleId: AUDIT_VIEWER.id,
        organizationId: cluster.world.tenantId,
      });
      assert.equal(assigned.status, 201, await assigned.clone().text());
      const { id } = (await assigned.json()) as { id: string };
      for (const node of cluster.nodes) {
        await waitUntil(
          `${node.name} reports the new role`,
          async () => (await rolesAt(node)).includes(AUDIT_VIEWER.name),
          {
            ms: SIGNAL_BOUND_MS,
            every: 20,
          },
        );
      }
      const removed = await c.api('DELETE', `/role-assignments/${id}`, admin);
      assert.equal(removed.status, 204, await removed.text());
      for (const node of cluster.nodes) {
        await waitUntil(
          `${node.name} reports the role gone`,
          async () => (await rolesAt(node)).length === 0,
          {
            ms: SIGNAL_BOUND_MS,
            every: 20,
          },
        );
      }
    }));

  test('REL-5 SESS-4: a shorter session timeout set through one node applies on every node from the next request', () =>
    withClusterLog(cluster, async () => {
      const { db, world, nodes } = cluster;
      const people = ['idle1', 'idle2', 'idle3'];
      const signedIn: Awaited<ReturnType<typeof signIn>>[] = [];
      for (const username of people) signedIn.push(await signIn(c.web, { username }));
      /** Moves a person's idle clock back, as if they had not used their session for `minutes`. */
      const idleFor = (username: string, minutes: number) =>
        db('sessions')
          .where({ user_id: world.users[username] })
          .whereNull('ended_at')
          .update({ last_seen_at: db.raw(`now() - make_interval(mins => ?)`, [minutes]) });
      const setTimeoutTo = async (minutes: number) => {
        const res = await c.api('PATCH', `/organizations/${world.tenantId}`, admin, {
          sessionTimeoutMinutes: minutes,
        });
        assert.equal(res.status, 200, await res.text());
      };

      await setTimeoutTo(60);
      for (const [i, node] of nodes.entries()) {
        await idleFor(people[i]!, 20);
        const rp = await c.webAt(node);
        assert.equal(
          await isActive(rp, signedIn[i]!.tokens.access_token),
          true,
          `20 min idle of 60, at ${node.name}`,
        );
      }
      await setTimeoutTo(15);
      // Each node judges a session of its own: each must have taken the new timeout.
      for (const [i, node] of nodes.entries()) {
        const rp = await c.webAt(node);
        await waitUntil(
          `${node.name} ends a session idle for 20 min under the new 15 min timeout`,
          async () => {
            await idleFor(people[i]!, 20); // a judgement under the old timeout slid the clock: again
            return !(await isActive(rp, signedIn[i]!.tokens.access_token));
          },
          { ms: SIGNAL_BOUND_MS, every: 20 },
        );
      }
      await assertSessionOver(c.web, signedIn[0]!.tokens, 'idle past the new timeout', signedIn[0]!.browser);
      await setTimeoutTo(60);
    }));
});
