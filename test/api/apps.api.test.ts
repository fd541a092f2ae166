import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import { type ApiClient, appToken, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addUser, addUserWith, operator, signUpTenant } from '../helpers/factories.ts';

const HOUR = 3_600_000;
const AUDIT_VIEWER = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!;
const web = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'web',
  name,
  redirectUris: ['https://portal.example.com/callback'],
  ...extra,
});

const { container: c, clock, api, t, token: foundersToken } = await apiSuite();
/** The founder's token, renewed where a test moves the clock past its life. */
let token = foundersToken;

describe('admin API: connected apps', () => {
  const fieldsOf = (body: { details?: { fields?: Array<{ field: string }> } }) =>
    (body.details?.fields ?? []).map((f) => f.field);

  async function register(body: Record<string, unknown>) {
    const res = await api.call('post', '/apps', { token, body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { app: { id: string; clientId: string; name: string }; clientSecret?: string };
  }

  test('APP-1 an app is registered, listed, read, changed and removed; its secret is shown once', async () => {
    const { app, clientSecret } = await register(
      web('Portal', { redirectUris: ['https://portal.example.com/cb', 'http://localhost:3000/cb'] }),
    );
    assert.ok(clientSecret, 'a web app gets a secret');
    assert.equal(await c.apps.verifySecret(app.clientId, clientSecret), true);

    const read = await api.call('get', `/apps/${app.id}`, { token });
    assert.equal(read.status, 200);
    assert.deepEqual([read.body.kind, read.body.confidential, read.body.tenantId], ['web', true, t.tenantId]);
    const listed = await api.call('get', '/apps', { token });
    assert.equal(listed.status, 200);
    assert.ok(listed.body.apps.some((a: { id: string }) => a.id === app.id));
    for (const body of [read.body, listed.body]) {
      const text = JSON.stringify(body);
      assert.equal(text.includes(clientSecret), false, 'never shown again');
      assert.equal(/secretSealed|clientSecret/.test(text), false);
    }

    const changed = await api.call('patch', `/apps/${app.id}`, { token, body: { name: 'Portal 2' } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.name, 'Portal 2');
    assert.equal(JSON.stringify(changed.body).includes(clientSecret), false);
    const taken = await api.call('post', '/apps', { token, body: web('Portal 2') });
    assert.deepEqual([taken.status, taken.body.code], [409, 'app.name_taken']);

    assert.equal((await api.call('delete', `/apps/${app.id}`, { token })).status, 204);
    assert.equal((await api.call('get', `/apps/${app.id}`, { token })).status, 404);
    assert.equal(await c.apps.verifySecret(app.clientId, clientSecret), false, 'its client is gone');
  });

  test('APP-1 redirect URIs are https only (loopback excepted); bad input is a 400 naming the field', async () => {
    const plain = await api.call('post', '/apps', {
      token,
      body: web('Plain', { redirectUris: ['http://portal.example.com/cb'] }),
    });
    assert.equal(plain.status, 400);
    assert.equal(plain.body.code, 'request.invalid_input');
    assert.deepEqual(fieldsOf(plain.body), ['redirectUris.0']);
    const noName = await api.call('post', '/apps', { token, body: { kind: 'web', redirectUris: [] } });
    assert.deepEqual([noName.status, fieldsOf(noName.body)], [400, ['name']]);
    const badKind = await api.call('post', '/apps', { token, body: web('Odd', { kind: 'daemon' }) });
    assert.deepEqual([badKind.status, fieldsOf(badKind.body)], [400, ['kind']]);

    const spa = await register({
      kind: 'spa',
      name: 'Dashboard',
      redirectUris: ['http://127.0.0.1:8080/cb'],
    });
    assert.equal(spa.clientSecret, undefined, 'public clients have no secret');
    const patchHttp = await api.call('patch', `/apps/${spa.app.id}`, {
      token,
      body: { redirectUris: ['http://dashboard.example.com/cb'] },
    });
    assert.deepEqual([patchHttp.status, fieldsOf(patchHttp.body)], [400, ['redirectUris.0']]);
    const retype = await api.call('patch', `/apps/${spa.app.id}`, { token, body: { kind: 'web' } });
    assert.deepEqual([retype.status, fieldsOf(retype.body)], [400, ['kind']]);
    const empty = await api.call('patch', `/apps/${spa.app.id}`, { token, body: {} });
    assert.equal(empty.status, 400);
    const kept = await api.call('get', `/apps/${spa.app.id}`, { token });
    assert.deepEqual([kept.body.kind, kept.body.redirectUris], ['spa', ['http://127.0.0.1:8080/cb']]);
  });

  test('APP-1 a secret rotation shows the new secret once; the old one works only for the grace asked for', async () => {
    const { app, clientSecret: first } = await register(web('Rotating'));
    const path = `/apps/${app.id}/secret`;

    const graced = await api.call('post', path, { token, body: { graceHours: 1 } });
    assert.equal(graced.status, 200);
    const second = graced.body.clientSecret as string;
    assert.notEqual(second, first);
    assert.equal(graced.body.app.id, app.id);
    assert.equal(Date.parse(graced.body.app.previousSecretExpiresAt), c.clock.now().getTime() + HOUR);
    assert.equal(await c.apps.verifySecret(app.clientId, second), true);
    assert.equal(await c.apps.verifySecret(app.clientId, first!), true, 'inside the grace');
    clock.advance(HOUR + 1000);
    assert.equal(await c.apps.verifySecret(app.clientId, first!), false, 'not after it');
    token = await userToken(c, t.user.id); // the earlier one has expired meanwhile

    const atOnce = await api.call('post', path, { token });
    assert.equal(atOnce.status, 200);
    assert.equal(atOnce.body.app.previousSecretExpiresAt, null);
    assert.equal(
      await c.apps.verifySecret(app.clientId, second),
      false,
      'by default the old secret stops at once',
    );
    assert.equal(await c.apps.verifySecret(app.clientId, atOnce.body.clientSecret), true);
    const read = await api.call('get', `/apps/${app.id}`, { token });
    assert.equal(JSON.stringify(read.body).includes(atOnce.body.clientSecret), false);

    const bad = await api.call('post', path, { token, body: { graceHours: 721 } });
    assert.deepEqual([bad.status, fieldsOf(bad.body)], [400, ['graceHours']]);
    const spa = await register({
      kind: 'spa',
      name: 'No secret',
      redirectUris: ['https://spa.example.com/cb'],
    });
    const pub = await api.call('post', `/apps/${spa.app.id}/secret`, { token, body: {} });
    assert.deepEqual([pub.status, pub.body.code], [409, 'app.public_client']);

    const audit = await c.database.knex('audit_log').where({ tenant_id: t.tenantId, target_id: app.id });
    assert.deepEqual(audit.map((r) => r.action).sort(), [
      'app.create',
      'app.secret.rotate',
      'app.secret.rotate',
    ]);
    const text = JSON.stringify(audit);
    for (const secret of [first!, second, atOnce.body.clientSecret])
      assert.equal(text.includes(secret), false);
  });

  test('SEC-1 first-party is the operator’s: the API refuses firstParty: true from a narrow administrator and from the owner, and writes nothing', async () => {
    // The finding: a holder of apps.manage alone registers an app that would skip consent.
    const narrow = await addUserWith(c, t, ['apps.manage']);
    const narrowToken = await userToken(c, narrow.id);
    const auditCount = async () =>
      (
        await c.database
          .knex('audit_log')
          .where({ tenant_id: t.tenantId, outcome: 'success' })
          .whereLike('action', 'app.%')
      ).length;
    const audited = await auditCount();
    for (const [who, bearer] of [
      ['narrow administrator', narrowToken],
      ['owner', token],
    ] as const) {
      const refused = await api.call('post', '/apps', {
        token: bearer,
        body: web(`Sneaky ${who}`, { firstParty: true }),
      });
      assert.equal(refused.status, 400, `${who}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.code, 'request.invalid_input');
      assert.deepEqual(fieldsOf(refused.body), ['firstParty']);
      assert.match(
        refused.body.message,
        /^firstParty: only the operator decides this, with the command line/,
      );
    }
    const listed = await api.call('get', '/apps', { token });
    assert.equal(
      listed.body.apps.some((a: { name: string }) => a.name.startsWith('Sneaky')),
      false,
      'nothing registered',
    );
    assert.equal(await auditCount(), audited, 'nothing audited as done');

    // Third-party, the default, may be said out loud (the console's form sends it).
    const { app } = await register(web('Partner', { firstParty: false }));
    const patched = await api.call('patch', `/apps/${app.id}`, {
      token: narrowToken,
      body: { name: 'Partner 2', firstParty: true },
    });
    assert.deepEqual([patched.status, fieldsOf(patched.body)], [400, ['firstParty']]);
    const kept = await api.call('get', `/apps/${app.id}`, { token });
    assert.deepEqual([kept.body.name, kept.body.firstParty], ['Partner', false], 'nothing changed');

    // An app the operator made first-party: the tenant can neither clear the flag nor lose it by editing.
    await c.apps.setFirstParty(operator(), app.id, true);
    const cleared = await api.call('patch', `/apps/${app.id}`, { token, body: { firstParty: false } });
    assert.deepEqual([cleared.status, fieldsOf(cleared.body)], [400, ['firstParty']]);
    const renamed = await api.call('patch', `/apps/${app.id}`, {
      token,
      body: { name: 'Partner 3', firstParty: true },
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual([renamed.body.name, renamed.body.firstParty], ['Partner 3', true]);
  });

  test('SEC-1 SEC-3 nobody but the operator points a first-party app somewhere new: adding or replacing a redirect URI is refused, removing one is not', async () => {
    const narrow = await addUserWith(c, t, ['apps.manage']);
    const narrowToken = await userToken(c, narrow.id);
    const own = 'https://intranet.example.com/cb';
    const { app } = await register(
      web('Intranet', { redirectUris: [own, 'https://intranet.example.com/old'] }),
    );
    await c.apps.setFirstParty(operator(), app.id, true);
    // The attack: a new redirect URI would receive codes silently (no consent for first-party apps).
    for (const redirectUris of [[own, 'https://attacker.example/cb'], ['https://attacker.example/cb']]) {
      for (const bearer of [narrowToken, token]) {
        const refused = await api.call('patch', `/apps/${app.id}`, { token: bearer, body: { redirectUris } });
        assert.deepEqual([refused.status, fieldsOf(refused.body)], [400, ['redirectUris']]);
        assert.match(refused.body.message, /only the operator adds redirect URIs/);
      }
    }
    const kept = await api.call('get', `/apps/${app.id}`, { token });
    assert.deepEqual(kept.body.redirectUris, [own, 'https://intranet.example.com/old'], 'nothing changed');
    const trimmed = await api.call('patch', `/apps/${app.id}`, {
      token: narrowToken,
      body: { redirectUris: [own] },
    });
    assert.equal(trimmed.status, 200, JSON.stringify(trimmed.body));
    assert.deepEqual(trimmed.body.redirectUris, [own]);
    // Once the operator clears the flag, the app is third-party and new URIs need consent (SEC-3).
    await c.apps.setFirstParty(operator(), app.id, false);
    const moved = await api.call('patch', `/apps/${app.id}`, {
      token: narrowToken,
      body: { redirectUris: [own, 'https://intranet.example.com/new'] },
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
  });

  test('APP-1 a user without apps.manage gets a 403 naming it; nothing changes', async () => {
    const { app } = await register(web('Guarded'));
    const viewer = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: viewer.id,
      roleId: AUDIT_VIEWER.id,
      organizationId: t.tenantId,
    });
    const viewerToken = await userToken(c, viewer.id);
    const calls: Array<[Parameters<ApiClient['call']>[0], string, unknown]> = [
      ['get', '/apps', undefined],
      ['post', '/apps', web('Sneaky')],
      ['get', `/apps/${app.id}`, undefined],
      ['patch', `/apps/${app.id}`, { name: 'Hijacked' }],
      ['delete', `/apps/${app.id}`, undefined],
      ['post', `/apps/${app.id}/secret`, {}],
    ];
    for (const [method, path, body] of calls) {
      const res = await api.call(method, path, { token: viewerToken, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.details.permission, 'apps.manage', `${method} ${path}`);
    }
    const still = await api.call('get', `/apps/${app.id}`, { token });
    assert.equal(still.body.name, 'Guarded');
    assert.equal(still.body.previousSecretExpiresAt, null);
  });

  test('APP-1 APP-2 apps of another tenant, and ids that are not UUIDs, are not found; nothing changes', async () => {
    const other = await signUpTenant(c);
    const { app: theirs } = await c.apps.create(other.owner, other.tenantId, web('Theirs'));
    const calls: Array<[Parameters<ApiClient['call']>[0], string, unknown]> = [
      ['get', `/apps/${theirs.id}`, undefined],
      ['patch', `/apps/${theirs.id}`, { name: 'Mine' }],
      ['delete', `/apps/${theirs.id}`, undefined],
      ['post', `/apps/${theirs.id}/secret`, {}],
      ['get', '/apps/not-a-uuid', undefined],
      ['patch', '/apps/not-a-uuid', { name: 'Mine' }],
      ['post', '/apps/not-a-uuid/secret', {}],
    ];
    for (const [method, path, body] of calls) {
      const res = await api.call(method, path, { token, body });
      assert.equal(res.status, 404, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const listed = await api.call('get', '/apps', { token });
    assert.equal(
      listed.body.apps.some((a: { id: string }) => a.id === theirs.id),
      false,
    );
    const kept = await c.apps.get(other.owner, other.tenantId, theirs.id);
    assert.deepEqual([kept.name, kept.previousSecretExpiresAt], ['Theirs', null]);
  });

  test('APP-1 ENV-1 a service app token creates an environment where granted, and cannot manage apps', async () => {
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Provisioner',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['environments.manage'] }],
    });
    const service = await appToken(c, app.clientId, 'environments.manage');
    const created = await api.call('post', `/organizations/${t.tenantId}/environments`, {
      token: service,
      body: { name: 'Provisioned', type: 'production' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.organizationId, t.tenantId);
    const audit = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'environment.create', target_id: created.body.id })
      .first();
    assert.deepEqual([audit.actor_type, audit.actor_id], ['app', app.clientId]);

    const calls = [
      ['get', '/apps', undefined],
      ['post', '/apps', web('Self-made')],
      ['get', `/apps/${app.id}`, undefined],
      ['delete', `/apps/${app.id}`, undefined],
      ['post', `/apps/${app.id}/secret`, {}],
    ] as const;
    for (const [method, path, body] of calls) {
      const res = await api.call(method, path, { token: service, body });
      assert.deepEqual([res.status, res.body.details?.permission], [403, 'apps.manage'], `${method} ${path}`);
    }
    // Its token names no other scope: the grant's other permissions are not in it.
    const noScope = await appToken(c, app.clientId, 'audit.view');
    const refused = await api.call('post', `/organizations/${t.tenantId}/environments`, {
      token: noScope,
      body: { name: 'Unscoped', type: 'design' },
    });
    assert.deepEqual([refused.status, refused.body.details?.permission], [403, 'environments.manage']);
  });
});
