import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import request from 'supertest';
import { expectError, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { builtInRoleId } from '../helpers/api-world.ts';
import { addUser, signUpTenant } from '../helpers/factories.ts';
import { OIDC_SECRET, oidcProvider, samlProvider } from '../helpers/idp-fixtures.ts';

// FED-1, FED-4, FED-5, FED-6 through /api/v1 (every answer checked against the OpenAPI document),
// and the public SP metadata page.

const { container: c, app, api, t, token: owner } = await apiSuite({ unthrottled: true });
const other = await signUpTenant(c);
const otherOwner = await userToken(c, other.user.id);

/** Element names and tags balanced, entities known, attributes quoted: enough to call it well-formed. */
function assertWellFormed(xml: string): void {
  assert.equal(/<!DOCTYPE/i.test(xml), false);
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let consumed = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    consumed = tag.lastIndex;
    if (m[5] !== undefined) {
      assert.equal(/&(?!(amp|lt|gt|quot|apos);)/.test(m[5]), false, `bad entity in ${m[5]}`);
      continue;
    }
    if (m[1]) assert.equal(stack.pop(), m[2], `</${m[2]}> closes the wrong element`);
    else if (!m[4]) stack.push(m[2]!);
  }
  assert.equal(consumed, body.length, `not markup at ${body.slice(consumed, consumed + 40)}`);
  assert.deepEqual(stack, []);
}

describe('identity providers API (FED-1, FED-4, FED-5, FED-6)', () => {
  test('FED-1 CRED-6 create, read, list, patch: the client secret is write-only', async () => {
    const created = await api.call('post', '/identity-providers', {
      token: owner,
      body: oidcProvider('Entra ID'),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.hasClientSecret, true);
    assert.equal(created.body.config.scopes.join(' '), 'openid profile email');
    assert.deepEqual(created.body.config.idTokenSigningAlgs, ['RS256', 'ES256']);
    assert.equal(
      created.body.urls.oidcRedirectUri.endsWith(`/federation/oidc/${created.body.id}/callback`),
      true,
    );
    const read = await api.call('get', `/identity-providers/${created.body.id}`, { token: owner });
    const list = await api.call('get', '/identity-providers', { token: owner });
    for (const res of [created, read, list])
      assert.equal(JSON.stringify(res.body).includes(OIDC_SECRET), false);
    const patched = await api.call('patch', `/identity-providers/${created.body.id}`, {
      token: owner,
      body: { config: { groupsClaim: 'realm_access.roles' }, clientSecret: 'rotated-secret' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.config.groupsClaim, 'realm_access.roles');
    assert.equal(JSON.stringify(patched.body).includes('rotated-secret'), false);
    const bad = await api.call('patch', `/identity-providers/${created.body.id}`, {
      token: owner,
      body: { config: { idTokenSigningAlgs: ['none'] }, kind: 'saml' },
    });
    expectError(bad, 400, 'request.invalid_input');
    assert.deepEqual(
      bad.body.details.fields.map((f: { field: string }) => f.field),
      ['kind'],
    );
    const algs = await api.call('patch', `/identity-providers/${created.body.id}`, {
      token: owner,
      body: { config: { idTokenSigningAlgs: ['none'] } },
    });
    expectError(algs, 400, 'request.invalid_input');
    assert.deepEqual(
      algs.body.details.fields.map((f: { field: string }) => f.field),
      ['config.idTokenSigningAlgs.0'],
    );
  });

  test('FED-1 another tenant gets 404; a user without idp.manage gets 403', async () => {
    const p = await api.call('post', '/identity-providers', { token: owner, body: samlProvider('Okta') });
    assert.equal(p.status, 201);
    expectError(
      await api.call('get', `/identity-providers/${p.body.id}`, { token: otherOwner }),
      404,
      'identity_provider.not_found',
    );
    expectError(
      await api.call('delete', `/identity-providers/${p.body.id}`, { token: otherOwner }),
      404,
      'identity_provider.not_found',
    );
    const plain = await userToken(c, (await addUser(c, t.tenantId)).id);
    const denied = await api.call('get', '/identity-providers', { token: plain });
    expectError(denied, 403, 'auth.permission_denied');
    assert.equal(denied.body.details.permission, 'idp.manage');
  });

  test('FED-4 group mappings: create, list, refused when escalating, delete', async () => {
    const p = await api.call('post', '/identity-providers', { token: owner, body: samlProvider('Ping') });
    const path = `/identity-providers/${p.body.id}/group-mappings`;
    const made = await api.call('post', path, {
      token: owner,
      body: {
        group: 'CN=Auditors,OU=Groups',
        roleId: builtInRoleId('audit-viewer'),
        organizationId: t.tenantId,
      },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const listed = await api.call('get', path, { token: owner });
    assert.deepEqual(
      listed.body.groupMappings.map((m: { id: string }) => m.id),
      [made.body.id],
    );
    expectError(
      await api.call('post', path, {
        token: owner,
        body: { group: 'x', roleId: builtInRoleId('audit-viewer'), organizationId: other.tenantId },
      }),
      404,
      'organization.not_found',
    );
    // A user holding idp.manage and roles.assign, but not what Organization Administrators carries.
    const role = await c.roles.create(t.owner, t.tenantId, {
      name: 'Federation admins',
      permissions: ['idp.manage', 'roles.assign'],
    });
    const fedAdmin = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: fedAdmin.id,
      roleId: role.id,
      organizationId: t.tenantId,
    });
    const escalating = await api.call('post', path, {
      token: await userToken(c, fedAdmin.id),
      body: {
        group: 'admins',
        roleId: builtInRoleId('organization-administrators'),
        organizationId: t.tenantId,
      },
    });
    expectError(escalating, 403, 'role_assignment.privilege_escalation');
    assert.equal((await api.call('delete', `${path}/${made.body.id}`, { token: owner })).status, 204);
    expectError(
      await api.call('delete', `${path}/${made.body.id}`, { token: owner }),
      404,
      'group_mapping.not_found',
    );
  });

  test('FED-5 INV-4 the local-accounts switch', async () => {
    const t2 = await signUpTenant(c);
    const token = await userToken(c, t2.user.id);
    const path = `/organizations/${t2.tenantId}/local-accounts`;
    assert.deepEqual((await api.call('get', path, { token })).body, {
      organizationId: t2.tenantId,
      localAccountsEnabled: true,
    });
    expectError(
      await api.call('put', path, { token, body: { enabled: false } }),
      409,
      'identity_provider.none_enabled',
    );
    const p = await api.call('post', '/identity-providers', { token, body: samlProvider('Only one') });
    assert.equal(
      (await api.call('put', path, { token, body: { enabled: false } })).body.localAccountsEnabled,
      false,
    );
    expectError(
      await api.call('post', `/organizations/${t2.tenantId}/invitations`, {
        token,
        body: { emails: ['a@b.test'] },
      }),
      409,
      'invitation.local_accounts_disabled',
    );
    expectError(
      await api.call('patch', `/identity-providers/${p.body.id}`, { token, body: { enabled: false } }),
      409,
      'identity_provider.last_enabled',
    );
    expectError(
      await api.call('delete', `/identity-providers/${p.body.id}`, { token }),
      409,
      'identity_provider.last_enabled',
    );
    expectError(
      await api.call('put', `/organizations/${t.tenantId}/local-accounts`, {
        token,
        body: { enabled: true },
      }),
      404,
      'organization.not_found',
    );
  });

  test('FED-6 SP metadata: public, well-formed, escaped; unknown, disabled or OIDC providers are 404', async () => {
    const hostile = `Evil"/><md:Injected x="&amp;]]><!DOCTYPE x>'\u0001`;
    const p = await api.call('post', '/identity-providers', { token: owner, body: samlProvider(hostile) });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const res = await request(app).get(`/saml/${p.body.id}/metadata`);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/samlmetadata\+xml/);
    const xml = res.text;
    assertWellFormed(xml);
    assert.equal(xml.includes('<md:Injected'), false);
    assert.ok(xml.includes('Evil&quot;/&gt;&lt;md:Injected x=&quot;&amp;amp;]]&gt;&lt;!DOCTYPE x&gt;&apos;'));
    assert.ok(xml.includes(`entityID="${p.body.urls.spEntityId}"`));
    assert.ok(xml.includes(`Location="${p.body.urls.acsUrl}"`));
    assert.ok(xml.includes('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'));
    await api.call('patch', `/identity-providers/${p.body.id}`, { token: owner, body: { enabled: false } });
    assert.equal((await request(app).get(`/saml/${p.body.id}/metadata`)).status, 404);
    const oidc = await api.call('post', '/identity-providers', {
      token: owner,
      body: oidcProvider('Not SAML'),
    });
    assert.equal((await request(app).get(`/saml/${oidc.body.id}/metadata`)).status, 404);
    assert.equal((await request(app).get('/saml/not-a-uuid/metadata')).status, 404);
  });
});
