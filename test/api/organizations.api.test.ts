import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addUser } from '../helpers/factories.ts';

const { container: c, api, t, token } = await apiSuite();

describe('admin API: organizations', () => {
  test('ORG-2 ORG-11 the owner reads and changes the master org; bad input is a 400 naming the field', async () => {
    const read = await api.call('get', `/organizations/${t.tenantId}`, { token });
    assert.equal(read.status, 200);
    assert.equal(read.body.domain, t.organization.domain);
    const changed = await api.call('patch', `/organizations/${t.tenantId}`, {
      token,
      body: { sessionTimeoutMinutes: 30 },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.sessionTimeoutMinutes, 30);
    const bad = await api.call('patch', `/organizations/${t.tenantId}`, {
      token,
      body: { sessionTimeoutMinutes: 200 },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'request.invalid_input');
    assert.equal(bad.body.details.fields[0].field, 'sessionTimeoutMinutes');
    assert.ok(bad.body.requestId);
  });

  test('ORG-6 ORG-8 a business group is created and deleted over the API', async () => {
    const created = await api.call('post', `/organizations/${t.tenantId}/business-groups`, {
      token,
      body: { name: 'Europe' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.parentId, t.tenantId);
    const gone = await api.call('delete', `/organizations/${created.body.id}`, { token });
    assert.equal(gone.status, 204);
    assert.equal((await api.call('get', `/organizations/${created.body.id}`, { token })).status, 404);
  });

  test('without a token, or with a bad one, the API answers 401; unknown paths 404; the document is public', async () => {
    const none = await api.call('get', '/me');
    assert.equal(none.status, 401);
    assert.match(none.headers['www-authenticate'] ?? '', /^Bearer/);
    assert.equal((await api.call('get', '/me', { token: 'not-a-token' })).status, 401);
    assert.equal((await api.call('get', '/nope', { token })).status, 404);
    const doc = await api.call('get', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
  });

  test('ORG-10 USR-4 /me shows the caller and what they may see', async () => {
    const me = await api.call('get', '/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, t.user.id);
    assert.equal(me.body.organization.domain, t.organization.domain);
    assert.ok(me.body.hierarchy.length >= 1);
    const nobody = await addUser(c, t.tenantId);
    const theirs = await api.call('get', '/me', { token: await userToken(c, nobody.id) });
    assert.deepEqual(theirs.body.hierarchy, []);
    assert.equal(
      (
        await api.call('get', `/organizations/${t.tenantId}`, {
          token: await userToken(c, nobody.id),
        })
      ).status,
      403,
    );
  });
});
