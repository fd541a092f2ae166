import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { TestBrowser } from '../helpers/browser.ts';
import { waitUntil } from '../helpers/child-processes.ts';
import {
  authorize,
  oauthErrorCode,
  REDIRECT_URI,
  refresh,
  signIn,
  type Tokens,
} from '../helpers/sso-session.ts';
import { type ClusterClients, clusterClients, isActive, logout } from './clients.ts';
import { type Cluster, clusterSkipReason, startCluster, withClusterLog } from './harness.ts';
import { type Exchange, failuresIn, summarize } from './recorder.ts';
import { startTraffic } from './traffic.ts';

// REL-5 with REL-2 and REL-3: the cluster's shared dependencies fail under it. Redis restarts empty
// and is flushed (REL-3: it only ever held copies); PostgreSQL becomes unreachable from every node
// (REL-2: 503 with Retry-After, never 500, and service resumes by itself). Through HAProxy.

/**
 * 5xx answers other than REL-2's "503, come back later" (with Retry-After, and from the OAuth
 * endpoints that answer JSON the `temporarily_unavailable` error), and requests with no answer.
 */
const unexplained = (exchanges: readonly Exchange[]) =>
  failuresIn(exchanges).filter(
    (e) =>
      !(
        e.status === 503 &&
        e.retryAfter !== null &&
        (!(e.method === 'POST' && e.path.startsWith('/oidc/token')) ||
          /"error":"temporarily_unavailable"/.test(e.detail ?? ''))
      ),
  );

/**
 * The OAuth error of a failed openid-client call: from a 4xx body, or from a 503's (openid-client
 * parses only 4xx error bodies and reports a 5xx as an unexpected status, the response its cause).
 */
async function errorCodeOf(err: unknown): Promise<string | undefined> {
  const code = oauthErrorCode(err);
  if (code) return code;
  const res = (err as { cause?: unknown }).cause;
  if (!(res instanceof Response) || res.status !== 503) return undefined;
  const body = (await res
    .clone()
    .json()
    .catch(() => ({}))) as { error?: string };
  return body.error;
}

/** Runs `call`; a 503 `temporarily_unavailable` is an allowed outcome during an outage (REL-2). */
async function unlessUnavailable<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if ((await errorCodeOf(err)) === 'temporarily_unavailable') return undefined;
    throw err;
  }
}

describe('REL-5 three nodes behind HAProxy: Redis and PostgreSQL outages', {
  skip: clusterSkipReason(),
}, () => {
  let cluster: Cluster;
  let c: ClusterClients;
  before(
    async () => {
      cluster = await startCluster({ usernames: ['alice', 'bob', 'carol', 'dave'] });
      c = await clusterClients(cluster);
    },
    { timeout: 150_000 },
  );
  after(() => cluster?.close());

  /** Asserts `token` introspects as `active` at every node, asked directly. */
  async function atEveryNode(token: string, active: boolean, what: string): Promise<void> {
    for (const node of cluster.nodes)
      assert.equal(await isActive(await c.webAt(node), token), active, `${what}, asked at ${node.name}`);
  }

  test(
    'REL-5 REL-3: Redis restarted empty, then flushed, mid-traffic: nobody logged out, no token lost, no revoked token revived',
    {
      timeout: 120_000,
    },
    (t) =>
      withClusterLog(cluster, async () => {
        const alice = await signIn(c.web, { username: 'alice' });
        const machineTokens = [await c.adminToken(), await c.adminToken(), await c.adminToken()];
        // Revoked before: Bob's tokens by his app (RFC 7009), Carol's session by her logout (SESS-7).
        const bob = await signIn(c.web, { username: 'bob' });
        await client.tokenRevocation(c.web, bob.tokens.refresh_token!);
        await client.tokenRevocation(c.web, bob.tokens.access_token);
        const carol = await signIn(c.web, { username: 'carol' });
        await logout(c.web, carol.browser, carol.tokens);
        const revoked = [bob.tokens.access_token, bob.tokens.refresh_token!, carol.tokens.access_token];
        for (const token of revoked) assert.equal(await isActive(c.web, token), false, 'revoked before');

        let current: Tokens = alice.tokens;
        const mark = c.recorder.mark();
        const traffic = startTraffic({
          workers: 2,
          maxIterations: 20_000,
          maxMs: 90_000,
          pauseMs: 10,
          step: async (worker, i) => {
            if (worker === 0) {
              current = (await unlessUnavailable(refresh(c.web, current))) ?? current;
            } else {
              const token = i % 2 ? machineTokens[i % machineTokens.length]! : current.access_token;
              const answer = await unlessUnavailable(client.tokenIntrospection(c.web, token));
              assert.notEqual(answer?.active, false, 'a live token introspected inactive');
            }
          },
        });
        try {
          await traffic.reached(20);
          await cluster.redis.kill();
          await traffic.reached(traffic.iterations + 20); // traffic while Redis is away
          await cluster.redis.start();
          await waitUntil('every node is ready again', async () => allReady(cluster), { ms: 30_000 });
          await traffic.reached(traffic.iterations + 20);
          await cluster.redis.flushAll();
          await traffic.reached(traffic.iterations + 20);
        } finally {
          await traffic.stop();
        }
        const result = await traffic.stop();
        const used = c.recorder.since(mark);
        const unavailable = used.filter((e) => e.status === 503).length;
        t.diagnostic(`${used.length} requests, ${unavailable} answered 503 while Redis was away`);
        assert.deepEqual(result.errors, [], summarize(used));
        assert.deepEqual(unexplained(used), [], `REL-2: only 503 with Retry-After\n${summarize(used)}`);

        // Nobody logged out: Alice's browser session and her refresh chain go on, on every node.
        assert.equal(
          (await authorize(c.web, alice.browser)).kind,
          'signed-in',
          'Alice asked to sign in again',
        );
        current = await refresh(c.web, current);
        // No token lost: what was issued before the restart is still active, everywhere.
        for (const token of [alice.tokens.access_token, current.access_token, ...machineTokens])
          await atEveryNode(token, true, 'a token issued before the restart and the flush');
        // No revoked token revived.
        for (const token of revoked)
          await atEveryNode(token, false, 'a token revoked before the restart and the flush');
        assert.equal(
          (await authorize(c.web, carol.browser)).kind,
          'sign-in-page',
          'Carol logged out for good',
        );
      }),
  );

  test(
    'REL-5 REL-2: PostgreSQL lost from every node answers 503 with Retry-After, never 500, and service resumes by itself',
    {
      timeout: 120_000,
    },
    (t) =>
      withClusterLog(cluster, async () => {
        const { tenantId, users } = cluster.world;
        const dave = await signIn(c.web, { username: 'dave' });
        const admin = await c.adminToken();
        const pids = cluster.nodes.map((n) => n.pid);
        const mark = c.recorder.mark();
        for (const link of cluster.pgLinks) link.cut();
        try {
          for (const node of cluster.nodes) {
            const res = await fetch(`${node.origin}/readyz`);
            const body = (await res.json()) as { checks?: Record<string, string> };
            assert.equal(res.status, 503, `${node.name} /readyz while PostgreSQL is away`);
            assert.notEqual(body.checks?.database, 'ok', `${node.name} /readyz names the database`);
          }
          // Several of each, so that every node answers some (round-robin).
          for (let i = 0; i < 3; i++) {
            // No token is issued, and no refresh token rotated, without the database (REL-2).
            assert.equal(await errorCodeOf(await failure(c.adminToken())), 'temporarily_unavailable');
            assert.equal(
              await errorCodeOf(await failure(refresh(c.web, dave.tokens))),
              'temporarily_unavailable',
            );
            // Introspection may answer from what a node holds, or say it cannot: never wrongly "inactive".
            const answer = await unlessUnavailable(
              client.tokenIntrospection(c.web, dave.tokens.access_token),
            );
            assert.notEqual(answer?.active, false, 'an active token introspected inactive during the outage');
            const write = await c.api('POST', `/organizations/${tenantId}/business-groups`, admin, {
              name: `Outage ${i}`,
              ownerUserId: users.founder,
            });
            const body = (await write.json()) as { code?: string };
            assert.equal(write.status, 503, `an admin API write: ${JSON.stringify(body)}`);
            assert.equal(body.code, 'service.unavailable');
            // A person arriving to sign in gets a page saying to come back (503), not an error.
            const page = await c.recorder.fetch(await authorizationUrl(c.web), { redirect: 'manual' });
            assert.equal(page.status, 503, `the authorization endpoint: ${await page.text()}`);
          }
          const during = c.recorder.since(mark);
          const statuses = during.map((e) => e.status).join(' ');
          t.diagnostic(`while PostgreSQL was away: ${statuses}`);
          assert.deepEqual(unexplained(during), [], `REL-2: only 503 with Retry-After\n${summarize(during)}`);
          for (const e of during.filter((x) => x.status === 503))
            assert.ok(
              e.node !== null,
              `a 503 from a node, not from HAProxy (fail-open): ${e.method} ${e.path}`,
            );
        } finally {
          for (const link of cluster.pgLinks) link.restore();
        }

        // Back by itself: no node restarted, every one ready again, everything works.
        await cluster.allUp();
        assert.deepEqual(
          cluster.nodes.map((n) => n.pid),
          pids,
          'no node was restarted',
        );
        const written = await c.api('POST', `/organizations/${tenantId}/business-groups`, admin, {
          name: 'After the outage',
          ownerUserId: users.founder,
        });
        assert.equal(written.status, 201, await written.text());
        const refused = await cluster
          .db('organizations')
          .where({ tenant_id: tenantId })
          .whereLike('name', 'Outage %');
        assert.deepEqual(refused, [], 'a write answered 503 was not made');
        const next = await refresh(c.web, dave.tokens);
        await atEveryNode(next.access_token, true, 'a token refreshed after the outage');
        await atEveryNode(await c.adminToken(), true, 'a client-credentials token issued after the outage');
        assert.equal((await authorize(c.web, dave.browser)).kind, 'signed-in', 'Dave is still signed in');
        assert.equal((await authorize(c.web, new TestBrowser())).kind, 'sign-in-page', 'sign-in pages work');
      }),
  );
});

/** A valid authorization request of the web app (PKCE), as its next sign-in would start. */
async function authorizationUrl(rp: client.Configuration): Promise<URL> {
  return client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: client.randomState(),
  });
}

/** The error a call fails with (the call must fail). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to fail');
}

/** Whether every node's /readyz answers 200. */
async function allReady(cluster: Cluster): Promise<boolean> {
  for (const node of cluster.nodes) {
    const res = await fetch(`${node.origin}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    if (res.status !== 200) return false;
  }
  return true;
}
