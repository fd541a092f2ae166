import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Exit } from '../helpers/child-processes.ts';
import { authorize, refresh, signIn, type Tokens, userinfo } from '../helpers/sso-session.ts';
import { type ClusterClients, clusterClients, isActive } from './clients.ts';
import { type Cluster, clusterSkipReason, startCluster, withClusterLog } from './harness.ts';
import { type Exchange, failuresIn, nodesIn, summarize } from './recorder.ts';
import { startTraffic } from './traffic.ts';

// REL-5: nodes die and restart under traffic, as they do in production: a crash (SIGKILL) in the
// middle of writes, and a rolling restart (SIGTERM, one node at a time) under a signed-in person's
// and a service's use. All traffic goes through HAProxy (docs/haproxy/canopy.cfg).

const WRITERS = 4;

describe('REL-5 three nodes behind HAProxy: node crashes and restarts', { skip: clusterSkipReason() }, () => {
  let cluster: Cluster;
  let c: ClusterClients;
  let admin: string;
  before(
    async () => {
      cluster = await startCluster({ usernames: ['roller'] });
      c = await clusterClients(cluster);
      admin = await c.adminToken();
    },
    { timeout: 150_000 },
  );
  after(() => cluster?.close());

  test('REL-5: a node SIGKILLed under write traffic loses no acknowledged write (every 2xx is found in SQL)', (t) =>
    withClusterLog(cluster, async () => {
      const { tenantId, users } = cluster.world;
      const victim = cluster.nodes[1]!;
      const acknowledged = new Map<string, string>(); // business group name → id
      const refused: string[] = [];
      let serial = 0;
      const mark = c.recorder.mark();
      const traffic = startTraffic({
        workers: WRITERS,
        maxIterations: 1_000,
        maxMs: 60_000,
        step: async () => {
          const name = `Crash ${++serial}`;
          const res = await c.api('POST', `/organizations/${tenantId}/business-groups`, admin, {
            name,
            ownerUserId: users.founder, // a service app acts for nobody: the group needs an owner
          });
          if (res.status === 201) acknowledged.set(name, ((await res.json()) as { id: string }).id);
          else refused.push(`${name}: ${res.status} ${await res.text()}`);
        },
      });
      let exit: Exit;
      let ackedAtKill: number;
      let beforeKill: Exchange[];
      try {
        await traffic.reached(60);
        beforeKill = c.recorder.since(mark);
        exit = await victim.kill();
        ackedAtKill = acknowledged.size;
        await traffic.reached(traffic.iterations + 60);
      } finally {
        await traffic.stop();
        if (victim.pid === undefined) await cluster.restart(victim);
      }
      const result = await traffic.stop();
      const used = c.recorder.since(mark);

      const failed = [...refused, ...result.errors.map((e) => e.message)];
      const howFailed = failuresIn(used).map((e) => `${e.status || e.detail}`);
      t.diagnostic(
        `${acknowledged.size} writes acknowledged (${acknowledged.size - ackedAtKill} after the kill), ` +
          `${failed.length} failed: ${howFailed.join(', ')}`,
      );
      assert.equal(exit.signal, 'SIGKILL');
      const ackedBy = nodesIn(beforeKill.filter((e) => e.status === 201));
      assert.ok(ackedBy.includes(victim.name), `${victim.name} acknowledged writes before it died`);
      assert.ok(acknowledged.size - ackedAtKill >= 40, 'the two other nodes kept acknowledging writes');
      // Only what was in flight at the victim when it died may fail (HAProxy sends no write twice).
      assert.ok(
        failed.length <= WRITERS,
        `${failed.length} failed writes:\n${failed.slice(0, 10).join('\n')}\n${summarize(used)}`,
      );

      const rows: { id: string; name: string }[] = await cluster
        .db('organizations')
        .whereIn('id', [...acknowledged.values()])
        .select('id', 'name');
      const found = new Map(rows.map((r) => [r.name, r.id]));
      const lost = [...acknowledged].filter(([name, id]) => found.get(name) !== id).map(([name]) => name);
      assert.deepEqual(lost, [], `acknowledged but not in the database (of ${acknowledged.size})`);
    }));

  test(
    'REL-5: a rolling restart of all three nodes (SIGTERM one at a time) logs nobody out and fails no request',
    {
      timeout: 150_000,
    },
    (t) =>
      withClusterLog(cluster, async () => {
        const { tokens, browser } = await signIn(c.web, { username: 'roller' });
        let current: Tokens = tokens;
        const machineTokens = [admin, await c.adminToken()];
        const pidsBefore = cluster.nodes.map((n) => n.pid);
        const mark = c.recorder.mark();
        const traffic = startTraffic({
          workers: 3,
          maxIterations: 20_000,
          maxMs: 120_000,
          pauseMs: 10,
          step: async (worker) => {
            if (worker === 0) {
              // The person's app refreshes (each rotation must reach the next node) and uses the result.
              current = await refresh(c.web, current);
              await userinfo(c.web, current);
            } else if (worker === 1) {
              // A service gets fresh tokens, and an API checks the ones it holds.
              machineTokens.push(await c.adminToken());
              for (const token of machineTokens.slice(-3))
                assert.equal(await isActive(c.web, token), true, 'a client-credentials token went inactive');
            } else {
              // The person's browser comes back to the provider: signed in, never asked again.
              const visit = await authorize(c.web, browser);
              assert.equal(visit.kind, 'signed-in', 'the person was asked to sign in again');
            }
          },
        });
        try {
          await traffic.reached(20);
          for (const node of cluster.nodes) {
            const exit = await node.stop();
            assert.equal(exit.code, 0, `${node.name} stopped cleanly on SIGTERM`);
            await cluster.restart(node);
            await traffic.reached(traffic.iterations + 20); // traffic flows with the node back in
          }
        } finally {
          await traffic.stop();
        }
        const result = await traffic.stop();
        const used = c.recorder.since(mark);
        t.diagnostic(`${result.iterations} steps, ${used.length} requests during the rolling restart`);
        assert.deepEqual(result.errors, [], summarize(used));
        assert.deepEqual(failuresIn(used), [], summarize(used));
        assert.deepEqual(nodesIn(used).sort(), ['node1', 'node2', 'node3']);
        cluster.nodes.forEach((node, i) => {
          assert.notEqual(node.pid, pidsBefore[i], `${node.name} was restarted`);
        });
        // Afterwards: the same session, the same tokens.
        assert.equal((await authorize(c.web, browser)).kind, 'signed-in');
        current = await refresh(c.web, current);
        for (const token of [current.access_token, ...machineTokens])
          assert.equal(await isActive(c.web, token), true, 'a token issued before or during the restart');
      }),
  );
});
