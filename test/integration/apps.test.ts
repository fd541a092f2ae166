import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { createSecretBox, parseSecretsKey } from '../../src/platform/crypto/secret-box.ts';
import { invalidFields, rejectsWith } from '../helpers/assertions.ts';
import {
  addBusinessGroup,
  addUser,
  operator,
  signUpTenant,
  type Tenant,
  userCtx,
} from '../helpers/factories.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv } from '../helpers/test-container.ts';

const _HOUR = 3_600_000;
const web = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'web',
  name,
  redirectUris: ['https://portal.example.com/callback'],
  ...extra,
});

describe('connected apps', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  /** A user of the tenant holding a custom role with these permissions on the master. */
  async function userWith(t: Tenant, permissions: string[], inherit = true) {
    const c = env.container;
    const role = await c.roles.create(t.owner, t.tenantId, { name: `r-${Math.random()}`, permissions });
    const user = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: user.id,
      roleId: role.id,
      organizationId: t.tenantId,
      inherit,
    });
    return userCtx(t.tenantId, user.id);
  }

  const appRow = (id: string) => env.container.database.knex('apps').where({ id }).first();

  test('APP-1 APP-2 a web app gets a global client id and a 256-bit secret, shown once and sealed at rest', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    // SEC-1: the operator makes an app first-party (command line); the tenant's owner may not.
    const { app, clientSecret } = await c.apps.create(
      operator(),
      t.tenantId,
      web('Portal', {
        redirectUris: ['https://portal.example.com/callback', 'http://localhost:3000/callback'],
        postLogoutRedirectUris: ['https://portal.example.com/bye'],
        firstParty: true,
      }),
    );
    assert.ok(clientSecret && Buffer.from(clientSecret, 'base64url').length === 32);
    assert.match(app.clientId, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      [app.tenantId, app.kind, app.confidential, app.firstParty, app.grants],
      [t.tenantId, 'web', true, true, []],
    );
    assert.deepEqual(app.postLogoutRedirectUris, ['https://portal.example.com/bye']);
    // Sealed at rest, bound to the client id; nothing read back shows it.
    const row = await appRow(app.id);
    assert.ok(!JSON.stringify(row).includes(clientSecret));
    const box = createSecretBox(parseSecretsKey(TEST_SECRETS_KEY));
    assert.equal(box.open(row.secret_sealed, `apps:${app.clientId}`), clientSecret);
    assert.throws(() => box.open(row.secret_sealed, `apps:${'0'.repeat(32)}`));
    const shown = [
      await c.apps.get(t.owner, t.tenantId, app.id),
      ...(await c.apps.list(t.owner, t.tenantId)),
    ];
    assert.deepEqual(Object.keys(app).sort(), [
      'clientId',
      'confidential',
      'createdAt',
      'firstParty',
      'grants',
      'id',
      'kind',
      'name',
      'postLogoutRedirectUris',
      'previousSecretExpiresAt',
      'redirectUris',
      'refreshTokenReuseSeconds',
      'tenantId',
      'updatedAt',
    ]);
    for (const a of shown) {
      assert.deepEqual(Object.keys(a).sort(), Object.keys(app).sort());
      assert.ok(!JSON.stringify(a).includes(clientSecret) && !JSON.stringify(a).includes('v1.'));
    }
    assert.equal((await c.database.knex('client_credentials').where({ client_id: app.clientId })).length, 0);
    // The provider resolves the app (and its master org, APP-2) from the client id alone.
    const found = await c.apps.findByClientId(app.clientId);
    assert.deepEqual([found?.id, found?.tenantId], [app.id, t.tenantId]);
    assert.equal(await c.apps.findByClientId('0'.repeat(32)), undefined);
    assert.equal(await c.apps.verifySecret(app.clientId, clientSecret), true);
  });

  test('APP-1 single-page and native apps are public clients with exact redirect URIs', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const spa = await c.apps.create(t.owner, t.tenantId, {
      kind: 'spa',
      name: 'Dashboard',
      redirectUris: ['https://dash.example.com/cb', 'http://127.0.0.1:5173/cb', 'http://[::1]:5173/cb'],
    });
    const native = await c.apps.create(t.owner, t.tenantId, {
      kind: 'native',
      name: 'Mobile',
      redirectUris: ['com.example.mobile:/oauth2redirect', 'http://127.0.0.1/callback'],
      postLogoutRedirectUris: ['com.example.mobile:/logout'],
    });
    for (const created of [spa, native]) {
      assert.equal(created.clientSecret, undefined);
      assert.equal(created.app.confidential, false);
      assert.equal((await appRow(created.app.id)).secret_sealed, null);
      assert.equal(await c.apps.verifySecret(created.app.clientId, ''), false);
      await rejectsWith(c.apps.rotateSecret(t.owner, t.tenantId, created.app.id), 'app.public_client');
    }
    assert.deepEqual(native.app.redirectUris, [
      'com.example.mobile:/oauth2redirect',
      'http://127.0.0.1/callback',
    ]);
  });

  test('APP-1 a service app uses client credentials and holds only the grants it was given', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const { app, clientSecret } = await c.apps.create(t.owner, t.tenantId, {
      kind: 'service',
      name: 'Provisioner',
      grants: [
        { organizationId: t.tenantId, permissions: ['audit.view'] },
        { organizationId: bg.id, permissions: ['users.manage', 'users.invite', 'users.manage'] },
      ],
    });
    assert.ok(clientSecret);
    assert.deepEqual(app.redirectUris, []);
    assert.deepEqual(app.grants, [
      { organizationId: t.tenantId, permissions: ['audit.view'] },
      { organizationId: bg.id, permissions: ['users.invite', 'users.manage'] },
    ]);
    assert.equal(await c.apps.verifySecret(app.clientId, clientSecret), true);
    // ORG-8: a deleted business group takes its grant's effect with it; the app stays editable.
    await c.businessGroups.remove(t.owner, t.tenantId, bg.id);
    assert.deepEqual((await c.apps.get(t.owner, t.tenantId, app.id)).grants, [app.grants[0]]);
    const renamed = await c.apps.update(t.owner, t.tenantId, app.id, { name: 'Provisioner 2' });
    assert.deepEqual(renamed.grants, [app.grants[0]]);
  });

  test('APP-1 redirect URIs are https or loopback http, without fragments; bad input is a 400 naming the field and writes nothing', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const other = await signUpTenant(c);
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [web('A', { redirectUris: ['http://portal.example.com/cb'] }), ['redirectUris.0']],
      [web('A', { redirectUris: ['https://portal.example.com/cb#frag'] }), ['redirectUris.0']],
      [web('A', { redirectUris: ['/relative/cb'] }), ['redirectUris.0']],
      [web('A', { redirectUris: ['com.example.app:/cb'] }), ['redirectUris.0']],
      [web('A', { redirectUris: ['https://user:pw@portal.example.com/cb'] }), ['redirectUris.0']],
      [web('A', { redirectUris: ['https://a.example/cb', 'https://a.example/cb'] }), ['redirectUris.1']],
      [web('A', { redirectUris: [] }), ['redirectUris']],
      [web('A', { postLogoutRedirectUris: ['http://portal.example.com/bye'] }), ['postLogoutRedirectUris.0']],
      [{ kind: 'native', name: 'A', redirectUris: ['myapp:/cb'] }, ['redirectUris.0']],
      [{ kind: 'native', name: 'A', redirectUris: ['https://localhost/cb'] }, ['redirectUris.0']],
      [{ kind: 'service', name: 'A', redirectUris: ['https://a.example/cb'] }, ['redirectUris']],
      [
        { kind: 'service', name: 'A', postLogoutRedirectUris: ['https://a.example/'] },
        ['postLogoutRedirectUris'],
      ],
      [web('A', { grants: [{ organizationId: t.tenantId, permissions: ['audit.view'] }] }), ['grants']],
      [
        { kind: 'service', name: 'A', grants: [{ organizationId: t.tenantId, permissions: ['fly'] }] },
        ['grants.0.permissions.0'],
      ],
      [
        { kind: 'service', name: 'A', grants: [{ organizationId: 'x', permissions: [] }] },
        ['grants.0.organizationId', 'grants.0.permissions'],
      ],
      [web(''), ['name']],
      [web('A', { kind: 'desktop' }), ['kind']],
      [web('A', { clientSecret: 'chosen' }), ['clientSecret']],
    ];
    for (const [input, fields] of cases) {
      const err = await rejectsWith(c.apps.create(t.owner, t.tenantId, input), 'request.invalid_input');
      assert.deepEqual(invalidFields(err), fields, JSON.stringify(input));
    }
    // A grant on another tenant's node names nothing here.
    const foreign = await rejectsWith(
      c.apps.create(t.owner, t.tenantId, {
        kind: 'service',
        name: 'A',
        grants: [{ organizationId: other.tenantId, permissions: ['audit.view'] }],
      }),
      'organization.not_found',
    );
    assert.equal(foreign.details?.field, 'grants.0.organizationId');
    assert.deepEqual(await c.apps.list(t.owner, t.tenantId), []);
  });

  test('APP-1 an app cannot carry permissions its creator does not hold on that node and below (no privilege escalation)', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const manager = await userWith(t, ['apps.manage', 'audit.view']);
    const service = (grants: unknown) => ({ kind: 'service', name: `svc-${Math.random()}`, grants });
    const mine = await c.apps.create(
      manager,
      t.tenantId,
      service([{ organizationId: bg.id, permissions: ['audit.view'] }]),
    );
    const err = await rejectsWith(
      c.apps.create(
        manager,
        t.tenantId,
        service([{ organizationId: t.tenantId, permissions: ['audit.view', 'users.manage'] }]),
      ),
      'app.privilege_escalation',
    );
    assert.deepEqual(err.details?.missingPermissions, ['users.manage']);
    await rejectsWith(
      c.apps.update(manager, t.tenantId, mine.app.id, {
        grants: [{ organizationId: bg.id, permissions: ['roles.assign'] }],
      }),
      'app.privilege_escalation',
    );
    // A grant reaches every node below its own: holding the permission on the node alone is not enough.
    const local = await userWith(t, ['apps.manage', 'audit.view'], false);
    await rejectsWith(
      c.apps.create(
        local,
        t.tenantId,
        service([{ organizationId: t.tenantId, permissions: ['audit.view'] }]),
      ),
      'app.privilege_escalation',
    );
    // An app an administrator granted more: the manager may trim it, but not take its secret.
    const strong = await c.apps.create(
      t.owner,
      t.tenantId,
      service([{ organizationId: bg.id, permissions: ['users.manage', 'audit.view'] }]),
    );
    await rejectsWith(c.apps.rotateSecret(manager, t.tenantId, strong.app.id), 'app.privilege_escalation');
    const trimmed = await c.apps.update(manager, t.tenantId, strong.app.id, {
      grants: [{ organizationId: bg.id, permissions: ['audit.view'] }],
    });
    assert.deepEqual(trimmed.grants, [{ organizationId: bg.id, permissions: ['audit.view'] }]);
    assert.ok((await c.apps.rotateSecret(manager, t.tenantId, strong.app.id)).clientSecret);
  });

  test('APP-1 only apps.manage on the master manages apps: a user without it and a business-group administrator are refused', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const { app } = await c.apps.create(t.owner, t.tenantId, web('Portal'));
    const plain = userCtx(t.tenantId, (await addUser(c, t.tenantId)).id);
    const auditor = await userWith(t, ['audit.view']);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const bgAdmin = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: bgAdmin.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: bg.id,
    });
    for (const ctx of [plain, auditor, userCtx(t.tenantId, bgAdmin.id)]) {
      await rejectsWith(c.apps.create(ctx, t.tenantId, web('Mine')), 'auth.permission_denied');
      await rejectsWith(c.apps.list(ctx, t.tenantId), 'auth.permission_denied');
      await rejectsWith(c.apps.get(ctx, t.tenantId, app.id), 'auth.permission_denied');
      await rejectsWith(c.apps.update(ctx, t.tenantId, app.id, { name: 'X' }), 'auth.permission_denied');
      await rejectsWith(c.apps.rotateSecret(ctx, t.tenantId, app.id), 'auth.permission_denied');
      await rejectsWith(c.apps.remove(ctx, t.tenantId, app.id), 'auth.permission_denied');
    }
    assert.equal((await c.apps.get(t.owner, t.tenantId, app.id)).name, 'Portal');
    const manager = await userWith(t, ['apps.manage']);
    assert.deepEqual(
      (await c.apps.list(manager, t.tenantId)).map((a) => a.id),
      [app.id],
    );
  });

  test("APP-1 tenant isolation: another tenant's administrator finds nothing, and each tenant lists only its own apps", async () => {
    const c = env.container;
    const a = await signUpTenant(c);
    const b = await signUpTenant(c);
    const { app } = await c.apps.create(a.owner, a.tenantId, web('Shared name'));
    const theirs = await c.apps.create(b.owner, b.tenantId, web('Shared name'));
    await rejectsWith(c.apps.list(b.owner, a.tenantId), 'organization.not_found');
    await rejectsWith(c.apps.get(b.owner, a.tenantId, app.id), 'organization.not_found');
    await rejectsWith(c.apps.create(b.owner, a.tenantId, web('X')), 'organization.not_found');
    await rejectsWith(c.apps.get(b.owner, b.tenantId, app.id), 'app.not_found');
    await rejectsWith(c.apps.update(b.owner, b.tenantId, app.id, { name: 'Taken over' }), 'app.not_found');
    await rejectsWith(c.apps.rotateSecret(b.owner, b.tenantId, app.id), 'app.not_found');
    await rejectsWith(c.apps.remove(b.owner, b.tenantId, app.id), 'app.not_found');
    await rejectsWith(c.apps.get(b.owner, b.tenantId, 'not-a-uuid'), 'app.not_found');
    assert.deepEqual(
      (await c.apps.list(a.owner, a.tenantId)).map((x) => x.id),
      [app.id],
    );
    assert.deepEqual(
      (await c.apps.list(b.owner, b.tenantId)).map((x) => x.id),
      [theirs.app.id],
    );
    assert.equal((await c.apps.get(a.owner, a.tenantId, app.id)).name, 'Shared name');
  });

  test('APP-1 update changes any field but the kind; names are unique per tenant regardless of case', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const { app } = await c.apps.create(t.owner, t.tenantId, web('Portal'));
    await c.apps.create(t.owner, t.tenantId, web('Billing'));
    await rejectsWith(c.apps.create(t.owner, t.tenantId, web('PORTAL')), 'app.name_taken');
    await rejectsWith(c.apps.update(t.owner, t.tenantId, app.id, { name: 'billing' }), 'app.name_taken');
    const kind = await rejectsWith(
      c.apps.update(t.owner, t.tenantId, app.id, { kind: 'spa' }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(kind), ['kind']);
    await rejectsWith(c.apps.update(t.owner, t.tenantId, app.id, {}), 'request.invalid_input');
    const bad = await rejectsWith(
      c.apps.update(t.owner, t.tenantId, app.id, { redirectUris: ['http://evil.example/cb'] }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(bad), ['redirectUris.0']);
    // SEC-1: whether the app is first-party is the operator's to change, not the owner's.
    const firstParty = await rejectsWith(
      c.apps.update(t.owner, t.tenantId, app.id, { name: 'Portal v2', firstParty: true }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(firstParty), ['firstParty']);
    assert.equal((await c.apps.get(t.owner, t.tenantId, app.id)).name, 'Portal');
    env.clock.advance(60_000);
    await c.apps.update(t.owner, t.tenantId, app.id, {
      name: 'Portal v2',
      redirectUris: ['https://v2.example.com/cb'],
      firstParty: false,
    });
    const updated = await c.apps.update(operator(), t.tenantId, app.id, { firstParty: true });
    assert.deepEqual(
      [updated.name, updated.redirectUris, updated.firstParty, updated.kind, updated.clientId],
      ['Portal v2', ['https://v2.example.com/cb'], true, 'web', app.clientId],
    );
    assert.ok(updated.updatedAt > app.updatedAt);
    await c.apps.remove(t.owner, t.tenantId, app.id);
    await rejectsWith(c.apps.get(t.owner, t.tenantId, app.id), 'app.not_found');
    assert.equal(await c.apps.findByClientId(app.clientId), undefined);
  });
});
