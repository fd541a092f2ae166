import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENTS_CHANGED } from '../../src/modules/apps/index.ts';
import { rejectsWith } from '../helpers/assertions.ts';
import { signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const HOUR = 3_600_000;
const web = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'web',
  name,
  redirectUris: ['https://portal.example.com/callback'],
  ...extra,
});

describe('connected apps: secrets, audit and signals', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const _appRow = (id: string) => env.container.database.knex('apps').where({ id }).first();

  test('APP-1 verifySecret: right, wrong, public app, unknown client; rotation ends the old secret at once unless given a grace period', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const { app, clientSecret: first } = await c.apps.create(t.owner, t.tenantId, web('Portal'));
    const spa = await c.apps.create(t.owner, t.tenantId, {
      kind: 'spa',
      name: 'SPA',
      redirectUris: ['https://s.example/cb'],
    });
    assert.ok(first);
    assert.equal(await c.apps.verifySecret(app.clientId, first), true);
    assert.equal(await c.apps.verifySecret(app.clientId, `${first}x`), false);
    assert.equal(await c.apps.verifySecret(app.clientId, ''), false);
    assert.equal(await c.apps.verifySecret(spa.app.clientId, first), false);
    assert.equal(await c.apps.verifySecret('f'.repeat(32), first), false);
    assert.equal(await c.apps.verifySecret('x'.repeat(500), first), false);

    const second = await c.apps.rotateSecret(t.owner, t.tenantId, app.id);
    assert.notEqual(second.clientSecret, first);
    assert.equal(await c.apps.verifySecret(app.clientId, first), false);
    assert.equal(await c.apps.verifySecret(app.clientId, second.clientSecret), true);
    assert.equal(second.app.previousSecretExpiresAt, null);

    const third = await c.apps.rotateSecret(t.owner, t.tenantId, app.id, { graceHours: 2 });
    assert.equal(third.app.previousSecretExpiresAt?.getTime(), env.clock.now().getTime() + 2 * HOUR);
    assert.equal(await c.apps.verifySecret(app.clientId, second.clientSecret), true);
    assert.equal(await c.apps.verifySecret(app.clientId, third.clientSecret), true);
    env.clock.advance(2 * HOUR);
    assert.equal(await c.apps.verifySecret(app.clientId, second.clientSecret), false);
    assert.equal(await c.apps.verifySecret(app.clientId, third.clientSecret), true);
    await rejectsWith(
      c.apps.rotateSecret(t.owner, t.tenantId, app.id, { graceHours: -1 }),
      'request.invalid_input',
    );

    await c.apps.remove(t.owner, t.tenantId, app.id);
    assert.equal(await c.apps.verifySecret(app.clientId, third.clientSecret), false);
  });

  test('AUD-1 every app change is audited in its transaction, with no secret in the entry', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const ctx = { ...t.owner, requestId: 'req-apps-audit' };
    const { app, clientSecret } = await c.apps.create(ctx, t.tenantId, web('Portal'));
    await c.apps.update(ctx, t.tenantId, app.id, { name: 'Portal 2' });
    const rotated = await c.apps.rotateSecret(ctx, t.tenantId, app.id, { graceHours: 1 });
    await c.apps.remove(ctx, t.tenantId, app.id);
    await rejectsWith(c.apps.create(ctx, t.tenantId, web('')), 'request.invalid_input');
    const rows = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, target_type: 'app' })
      .orderBy('id')
      .select('action', 'actor_type', 'actor_id', 'org_id', 'target_id', 'request_id', 'before', 'after');
    assert.deepEqual(
      rows.map((r) => [r.action, r.actor_type, r.actor_id, r.org_id, r.target_id, r.request_id]),
      ['app.create', 'app.update', 'app.secret.rotate', 'app.delete'].map((action) => [
        action,
        'user',
        t.user.id,
        t.tenantId,
        app.id,
        'req-apps-audit',
      ]),
    );
    assert.deepEqual([rows[1].before.name, rows[1].after.name], ['Portal', 'Portal 2']);
    assert.equal(rows[0].after.clientId, app.clientId);
    const text = JSON.stringify(rows);
    assert.ok(clientSecret && !text.includes(clientSecret) && !text.includes(rotated.clientSecret));
    assert.ok(!text.includes('v1.'), 'no sealed secret either');
  });

  test('APP-1 every change publishes CLIENTS_CHANGED with the client id, once it is committed', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    // What a listener reading the app back at once would see: the change must be visible by then.
    const heard: Array<{ clientId: string; seen: Promise<{ name: string } | undefined> }> = [];
    await c.signals.subscribe(CLIENTS_CHANGED, (message) => {
      const { clientId } = JSON.parse(message) as { clientId: string };
      // A Knex query runs when `then` is called: now, not when the test awaits it.
      const seen = c.database
        .knex('apps')
        .where({ client_id: clientId })
        .first('name')
        .then((row: { name: string } | undefined) => row);
      heard.push({ clientId, seen });
    });
    const { app } = await c.apps.create(t.owner, t.tenantId, web('Portal'));
    await c.apps.update(t.owner, t.tenantId, app.id, { name: 'Portal 2' });
    await c.apps.rotateSecret(t.owner, t.tenantId, app.id);
    await c.apps.remove(t.owner, t.tenantId, app.id);
    await rejectsWith(c.apps.update(t.owner, t.tenantId, app.id, { firstParty: false }), 'app.not_found');
    await rejectsWith(c.apps.create(t.owner, t.tenantId, web('')), 'request.invalid_input');
    const mine = heard.filter((h) => h.clientId === app.clientId);
    assert.deepEqual(await Promise.all(mine.map(async (h) => (await h.seen)?.name)), [
      'Portal',
      'Portal 2',
      'Portal 2',
      undefined,
    ]);
  });
});
