import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestClock } from '../../src/platform/clock.ts';
import { addBusinessGroup, operator, signUpTenant, type Tenant } from '../helpers/factories.ts';
import {
  type OutageNode,
  openSharedDatabase,
  type SharedDatabase,
  startOutageNode,
} from '../helpers/outage-node.ts';
import { eventually, outageRequests } from '../helpers/outage-requests.ts';
import { registerServiceApp, registerWebApp } from '../helpers/sso-session.ts';

// REL-2 "a cached client must not outlive a rotation or removal": two nodes of one installation;
// node B remembers clients and secrets, node A changes them. B hears the change through Redis;
// while B cannot hear (its Redis link cut), B remembers nothing and asks the database.

const needsRedis = process.env.REDIS_URL
  ? false
  : 'REDIS_URL is not set: nodes tell each other about client changes through Redis pub/sub';

describe('REL-2 client caches across nodes', { skip: needsRedis }, () => {
  let shared: SharedDatabase;
  let a: OutageNode;
  let b: OutageNode;
  let t: Tenant;
  let atB: ReturnType<typeof outageRequests>;

  before(async () => {
    shared = await openSharedDatabase();
    const redisKeyPrefix = `canopy-test:${randomUUID()}:`;
    const clock = createTestClock();
    a = await startOutageNode({ shared, redis: 'direct', redisKeyPrefix, clock });
    b = await startOutageNode({ shared, redis: 'proxied', redisKeyPrefix, clock, publicUrl: a.origin });
    atB = outageRequests(b.origin);
    t = await signUpTenant(a.container);
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await shared?.close();
  });

  /** Environment credentials of a new environment, known to node B (its caches hold them). */
  async function credentialsKnownToB() {
    const env = await a.container.environments.create(t.owner, t.tenantId, t.tenantId, {
      name: `Env ${randomUUID().slice(0, 8)}`,
      type: 'sandbox',
    });
    const target = { orgId: t.tenantId, environmentId: env.id };
    const creds = await a.container.credentials.read(t.owner, t.tenantId, target);
    const warm = await atB.token(creds.clientId, creds.clientSecret);
    assert.equal(warm.status, 200, warm.text);
    return { ...creds, target };
  }

  const rotateAtA = async (target: { orgId: string; environmentId: string }) =>
    (await a.container.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, target, 0)).clientSecret;

  test('REL-2 a rotation at node A: node B refuses the old secret as soon as the signal arrives', async () => {
    const creds = await credentialsKnownToB();
    const fresh = await rotateAtA(creds.target);
    await eventually(
      'B refuses the old secret',
      async () => {
        const answer = await atB.token(creds.clientId, creds.clientSecret);
        assert.notEqual(answer.status, 500, answer.text);
        return answer.status === 401;
      },
      2_000,
    );
    assert.equal((await atB.token(creds.clientId, fresh)).status, 200, 'the new secret at B');
  });

  test('REL-2 with node B deaf to signals (its Redis link cut), B uses no cached client or secret', async () => {
    const creds = await credentialsKnownToB();
    const app = await registerServiceApp(a.container, t.owner, t.tenantId, a.origin, [
      { organizationId: t.tenantId, permissions: ['audit.view'] },
    ]);
    assert.equal((await atB.token(app.app.clientId, app.secret)).status, 200, 'the app, known to B');

    b.links.redis!.cut();
    try {
      await eventually('B knows it cannot hear', async () => !b.container.signals.isLive(), 3_000);
      const fresh = await rotateAtA(creds.target); // A hears and tells; B does not hear
      await a.container.apps.remove(t.owner, t.tenantId, app.app.id);

      assert.equal(await b.container.credentials.verifySecret(creds.clientId, creds.clientSecret), null);
      const old = await atB.token(creds.clientId, creds.clientSecret);
      assert.equal(old.status, 401, `the rotated secret at B: ${old.text}`);
      assert.equal(old.body.error, 'invalid_client');
      const removed = await atB.token(app.app.clientId, app.secret);
      assert.equal(removed.status, 401, `the removed app at B: ${removed.text}`);
      assert.equal(
        (await atB.token(creds.clientId, fresh)).status,
        200,
        'the new secret, read from the database',
      );
    } finally {
      b.links.redis!.restore();
    }
    await eventually('B hears again', async () => b.container.signals.isLive(), 5_000);
    assert.equal((await atB.token(creds.clientId, creds.clientSecret)).status, 401, 'after the resync too');
    assert.equal((await atB.token(app.app.clientId, app.secret)).status, 401);
  });

  test('REL-2 with node B deaf to signals, B refuses every client change before making it (503, nothing changed)', async () => {
    const web = await registerWebApp(a.container, t.owner, t.tenantId, a.origin); // first-party
    const service = await registerServiceApp(a.container, t.owner, t.tenantId, a.origin, [
      { organizationId: t.tenantId, permissions: ['audit.view'] },
    ]);
    const group = await addBusinessGroup(a.container, t, t.tenantId);
    const env = await a.container.environments.create(t.owner, t.tenantId, t.tenantId, {
      name: `Env ${randomUUID().slice(0, 8)}`,
      type: 'sandbox',
    });
    const atNodeB = b.container;
    const refused = { code: 'service.unavailable' };

    b.links.redis!.cut();
    try {
      await eventually('B knows it cannot hear', async () => !atNodeB.signals.isLive(), 3_000);
      await assert.rejects(
        atNodeB.apps.update(t.owner, t.tenantId, service.app.id, { name: 'Renamed' }),
        refused,
        'an app update',
      );
      await assert.rejects(
        atNodeB.apps.remove(t.owner, t.tenantId, service.app.id),
        refused,
        'an app removal',
      );
      await assert.rejects(
        atNodeB.apps.setFirstParty(operator(), web.app.clientId, false),
        refused,
        'the first-party flag',
      );
      await assert.rejects(
        atNodeB.environments.remove(t.owner, t.tenantId, env.id),
        refused,
        'an environment removal (its credentials)',
      );
      await assert.rejects(
        atNodeB.businessGroups.remove(t.owner, t.tenantId, group.id),
        refused,
        'a business group removal (its credentials)',
      );
    } finally {
      b.links.redis!.restore();
    }

    const app = await a.container.apps.get(t.owner, t.tenantId, service.app.id);
    assert.equal(app.name, service.app.name, 'the app was not renamed');
    assert.equal((await a.container.apps.get(t.owner, t.tenantId, web.app.id)).firstParty, true);
    assert.equal((await a.container.environments.get(t.owner, t.tenantId, env.id)).id, env.id);
    assert.equal((await a.container.organizations.get(t.owner, t.tenantId, group.id)).id, group.id);
    assert.equal((await atB.token(service.app.clientId, service.secret)).status, 200, 'the app still works');

    await eventually('B hears again', async () => atNodeB.signals.isLive(), 5_000);
    await atNodeB.apps.remove(t.owner, t.tenantId, service.app.id);
    await atNodeB.businessGroups.remove(t.owner, t.tenantId, group.id);
  });
});
