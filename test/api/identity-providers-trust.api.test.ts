import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { ALL_PERMISSIONS, type Permission } from '../../src/modules/roles/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { appToken, expectError, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { builtInRoleId } from '../helpers/api-world.ts';
import { addBusinessGroup, addUser, signUpTenant } from '../helpers/factories.ts';
import { CERT_B, OIDC_SECRET, oidcProvider, samlProvider } from '../helpers/idp-fixtures.ts';
import { oktaMetadata } from '../helpers/idp-metadata-fixtures.ts';

// SEC-4 through /api/v1: changing what an identity provider trusts needs everything the provider
// confers (its group mappings' grants, its linked users' permissions), as ROLE-5 does for a grant.
// Finding 2 of issue 10: an idp.manage holder re-pointed a provider mapped to Organization
// Administrators at an upstream they controlled.

const { container: c, api, t, token: owner } = await apiSuite({ unthrottled: true });
const knex = c.database.knex;
const other = await signUpTenant(c);
const otherOwner = await userToken(c, other.user.id);

/** A user holding one custom role on the master and below. */
async function narrowAdmin(name: string, permissions: Permission[]) {
  const role = await c.roles.create(t.owner, t.tenantId, { name, permissions });
  const user = await addUser(c, t.tenantId);
  await c.assignments.assign(t.owner, t.tenantId, {
    userId: user.id,
    roleId: role.id,
    organizationId: t.tenantId,
    inherit: true,
  });
  return userToken(c, user.id);
}

// The attacker of the finding: idp.manage, nothing else.
const narrow = await narrowAdmin('Identity provider managers', ['idp.manage']);
const ALL_BUT_IDP_MANAGE = ALL_PERMISSIONS.filter((p) => p !== 'idp.manage');
const ATTACKER = 'https://attacker.example.test';

async function createProvider(body: object): Promise<string> {
  const res = await api.call('post', '/identity-providers', { token: owner, body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function mapGroup(providerId: string, body: Record<string, unknown>): Promise<void> {
  const res = await api.call('post', `/identity-providers/${providerId}/group-mappings`, {
    token: owner,
    body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

const mapAdmins = (providerId: string) =>
  mapGroup(providerId, {
    group: 'admins',
    roleId: builtInRoleId('organization-administrators'),
    organizationId: t.tenantId,
  });

const patch = (token: string, providerId: string, body: object) =>
  api.call('patch', `/identity-providers/${providerId}`, { token, body });

const stored = (id: string) => knex('identity_providers').where({ id }).first();
const updatesOf = (id: string) =>
  knex('audit_log').where({ action: 'identity_provider.update', target_id: id });

const anonymous = (): RequestContext => ({ actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` });

/** A person signing in through the provider for the first time: the user it creates is linked to it. */
const signInThrough = (providerId: string, subject: string) =>
  c.federatedSignIn.signInFederated(anonymous(), t.tenantId, providerId, {
    subject,
    username: subject,
    email: `${subject}@corp.test`,
    groups: [],
  });

async function assign(userId: string, roleKey: string, organizationId: string) {
  const res = await api.call('post', '/role-assignments', {
    token: owner,
    body: { userId, roleId: builtInRoleId(roleKey), organizationId },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

/** Refused, naming the change and what is missing where, with nothing written. */
async function assertRefused(
  token: string,
  providerId: string,
  body: object,
  expected: { changedFields?: string[]; missing?: unknown[] } = {},
) {
  const before = await stored(providerId);
  const updates = (await updatesOf(providerId)).length;
  const res = await patch(token, providerId, body);
  expectError(res, 403, 'identity_provider.privilege_escalation', JSON.stringify(body).slice(0, 80));
  if (expected.changedFields) assert.deepEqual(res.body.details.changedFields, expected.changedFields);
  if (expected.missing) assert.deepEqual(res.body.details.missing, expected.missing);
  assert.deepEqual(await stored(providerId), before, 'a refused change writes nothing');
  assert.equal((await updatesOf(providerId)).length, updates, 'and audits no update');
  return res;
}

describe('identity providers: changing what a provider trusts (SEC-4)', () => {
  test('SEC-4 the original attack: an idp.manage holder cannot re-point an OIDC provider mapped to Organization Administrators', async () => {
    const id = await createProvider(oidcProvider('Corporate SSO'));
    await mapAdmins(id);
    const refused = await assertRefused(
      narrow,
      id,
      {
        name: 'Corporate SSO (new)',
        config: { issuer: ATTACKER, clientId: 'attacker-client', groupsClaim: 'roles' },
        clientSecret: 'attacker-secret',
      },
      {
        changedFields: ['config.issuer', 'config.clientId', 'config.groupsClaim', 'clientSecret'],
        missing: [{ organizationId: t.tenantId, missingPermissions: ALL_BUT_IDP_MANAGE }],
      },
    );
    assert.match(refused.body.message, /config\.issuer/);
    assert.ok(refused.body.message.includes(`users.manage`));
    assert.ok(refused.body.message.includes(`organization ${t.tenantId}`));
    assert.equal(JSON.stringify(refused.body).includes('attacker-secret'), false);
    // Each anchor alone is enough to be refused.
    for (const body of [
      { config: { issuer: ATTACKER } },
      { config: { clientId: 'attacker-client' } },
      { config: { groupsClaim: 'realm_access.roles' } },
      { config: { usernameClaim: 'email' } },
      { clientSecret: 'attacker-secret' },
    ]) {
      await assertRefused(narrow, id, body);
    }
    const mappings = await api.call('get', `/identity-providers/${id}/group-mappings`, { token: narrow });
    assert.deepEqual(
      mappings.body.groupMappings.map((m: { group: string }) => m.group),
      ['admins'],
    );
  });

  test('SEC-4 a SAML provider: certificates, entity id, SSO URL, attribute names and metadata are trust anchors', async () => {
    const id = await createProvider(samlProvider('Okta SAML'));
    await mapAdmins(id);
    for (const [body, changedFields] of [
      [{ config: { signingCertificates: [CERT_B] } }, ['config.signingCertificates']],
      [{ config: { entityId: `${ATTACKER}/saml` } }, ['config.entityId']],
      [{ config: { ssoUrl: `${ATTACKER}/sso` } }, ['config.ssoUrl']],
      [{ config: { attributes: { groups: 'memberOf' } } }, ['config.attributes']],
      [
        { metadataXml: oktaMetadata(CERT_B) },
        ['config.entityId', 'config.ssoUrl', 'config.signingCertificates', 'metadataXml'],
      ],
    ] as const) {
      await assertRefused(narrow, id, body, {
        changedFields: [...changedFields],
        missing: [{ organizationId: t.tenantId, missingPermissions: ALL_BUT_IDP_MANAGE }],
      });
    }
  });

  test('SEC-4 a provider without mappings but with a linked federated administrator: refused, also while that user is disabled', async () => {
    const id = await createProvider(oidcProvider('Partner IdP'));
    const fedAdmin = await signInThrough(id, 'partner-admin');
    await assign(fedAdmin, 'organization-administrators', t.tenantId);
    const expected = {
      changedFields: ['config.issuer'],
      missing: [{ organizationId: t.tenantId, missingPermissions: ALL_BUT_IDP_MANAGE }],
    };
    await assertRefused(narrow, id, { config: { issuer: ATTACKER } }, expected);
    // A disabled user can be enabled again, and whoever answers at the new issuer would be them.
    assert.equal((await api.call('post', `/users/${fedAdmin}/disable`, { token: owner })).status, 200);
    await assertRefused(narrow, id, { config: { issuer: ATTACKER } }, expected);
    // A deleted one never comes back: nothing is conferred any more.
    assert.equal((await api.call('delete', `/users/${fedAdmin}`, { token: owner })).status, 204);
    const res = await patch(narrow, id, { config: { issuer: ATTACKER } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.config.issuer, ATTACKER);
  });

  test('SEC-4 the missing permissions are named per node and environment', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const environment = await api.call('post', `/organizations/${group.id}/environments`, {
      token: owner,
      body: { name: 'Production', type: 'production' },
    });
    assert.equal(environment.status, 201, JSON.stringify(environment.body));
    const id = await createProvider(oidcProvider('Staged IdP'));
    await mapGroup(id, {
      group: 'alerts',
      roleId: builtInRoleId('api-alerts-manager'),
      organizationId: group.id,
      environmentId: environment.body.id,
    });
    const linked = await signInThrough(id, 'group-auditor');
    await assign(linked, 'audit-viewer', group.id);
    await assertRefused(
      narrow,
      id,
      { config: { clientId: 'another-client' } },
      {
        changedFields: ['config.clientId'],
        missing: [
          {
            organizationId: group.id,
            environmentId: environment.body.id,
            missingPermissions: ['api-alerts.manage', 'api-alerts.view'],
          },
          { organizationId: group.id, missingPermissions: ['audit.view'] },
        ],
      },
    );
    // An administrator holding all of that (inherited from the master) may make the change.
    const holder = await narrowAdmin('Federation and alerts', [
      'idp.manage',
      'audit.view',
      'api-alerts.manage',
      'api-alerts.view',
    ]);
    const res = await patch(holder, id, { config: { clientId: 'another-client' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.config.clientId, 'another-client');
  });

  test('SEC-4 what is not a trust anchor needs idp.manage only: name, enabled, scopes, signature settings, a value sent unchanged', async () => {
    const oidc = await createProvider(oidcProvider('Renamable'));
    const saml = await createProvider(samlProvider('Renamable SAML'));
    for (const id of [oidc, saml]) await mapAdmins(id);
    for (const [id, body] of [
      [oidc, { name: 'Renamed' }],
      [oidc, { enabled: false }],
      [oidc, { enabled: true }],
      [oidc, { config: { scopes: ['openid', 'email'], idTokenSigningAlgs: ['ES256'] } }],
      [oidc, { name: 'Renamed again', config: { issuer: 'https://login.example.test' } }],
      [saml, { config: { allowIdpInitiated: true, clockSkewSeconds: 30, wantAssertionsSigned: false } }],
      [saml, { config: { signingCertificates: [(await stored(saml)).config.signingCertificates[0]] } }],
    ] as const) {
      const res = await patch(narrow, id, body);
      assert.equal(res.status, 200, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await stored(oidc)).name, 'Renamed again');
    for (const entry of [...(await updatesOf(oidc)), ...(await updatesOf(saml))])
      assert.equal(entry.after.trustChanged, undefined);
  });

  test('SEC-4 an administrator holding everything re-points the provider; the audit entry shows before and after, never the secret', async () => {
    const id = await createProvider(oidcProvider('Migrating IdP'));
    await mapAdmins(id);
    await signInThrough(id, 'someone');
    const sealedBefore = (await stored(id)).secret_sealed;
    const res = await patch(owner, id, {
      config: { issuer: 'https://new-idp.example.test', clientId: 'new-client' },
      clientSecret: 'brand-new-secret-Xq7',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.config.issuer, 'https://new-idp.example.test');
    const sealedAfter = (await stored(id)).secret_sealed;
    assert.notEqual(sealedAfter, sealedBefore);
    const log = await api.call(
      'get',
      `/organizations/${t.tenantId}/audit-log?action=identity_provider.update`,
      { token: owner },
    );
    assert.equal(log.status, 200);
    const entry = log.body.entries.find((e: { target: { id: string } }) => e.target.id === id);
    assert.ok(entry, 'the change is audited');
    assert.equal(entry.actor.id, t.user.id);
    assert.equal(entry.before.config.issuer, 'https://login.example.test');
    assert.equal(entry.after.config.issuer, 'https://new-idp.example.test');
    assert.equal(entry.before.config.clientId, 'canopy-client');
    assert.equal(entry.after.config.clientId, 'new-client');
    assert.deepEqual(entry.after.trustChanged, ['config.issuer', 'config.clientId', 'clientSecret']);
    assert.equal(entry.before.clientSecret, '[redacted]');
    assert.equal(entry.after.clientSecret, '[redacted]');
    assert.equal(entry.after.credentialReplaced, true);
    const text = JSON.stringify(entry);
    for (const secret of ['brand-new-secret-Xq7', OIDC_SECRET, sealedBefore, sealedAfter])
      assert.equal(text.includes(secret), false, 'no secret, sealed or not, in the audit entry');
  });

  test('SEC-4 a service app holding idp.manage is checked against its own grants', async () => {
    const id = await createProvider(oidcProvider('Provisioned IdP'));
    await mapAdmins(id);
    const { app: narrowApp } = await c.apps.create(t.owner, t.tenantId, {
      name: 'IdP provisioner',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['idp.manage'] }],
    });
    const narrowToken = await appToken(c, narrowApp.clientId, 'idp.manage');
    await assertRefused(
      narrowToken,
      id,
      { config: { issuer: ATTACKER } },
      { missing: [{ organizationId: t.tenantId, missingPermissions: ALL_BUT_IDP_MANAGE }] },
    );
    assert.equal((await patch(narrowToken, id, { name: 'Provisioned IdP 2' })).status, 200);
    const { app: fullApp } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Full provisioner',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: [...ALL_PERMISSIONS] }],
    });
    const fullToken = await appToken(c, fullApp.clientId, ALL_PERMISSIONS.join(' '));
    const res = await patch(fullToken, id, { config: { issuer: 'https://next.example.test' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('SEC-4 another tenant gets 404 and changes nothing; no token gets 401', async () => {
    const id = await createProvider(oidcProvider('Ours'));
    const before = await stored(id);
    expectError(
      await patch(otherOwner, id, { config: { issuer: ATTACKER } }),
      404,
      'identity_provider.not_found',
    );
    assert.equal(
      (await api.call('patch', `/identity-providers/${id}`, { body: { config: { issuer: ATTACKER } } }))
        .status,
      401,
    );
    assert.deepEqual(await stored(id), before);
  });
  test('ROLE-5 deleting a provider removes what its mappings granted: refused to a narrow admin, allowed to the owner', async () => {
    const id = await createProvider(oidcProvider('Retiring SSO'));
    await mapAdmins(id);
    const res = await api.call('delete', `/identity-providers/${id}`, { token: narrow });
    expectError(res, 403, 'role_assignment.privilege_escalation');
    assert.deepEqual(res.body.details.missing, [
      { organizationId: t.tenantId, missingPermissions: ALL_BUT_IDP_MANAGE },
    ]);
    assert.ok(await stored(id), 'the provider stays');
    const unmapped = await createProvider(oidcProvider('Unmapped SSO'));
    assert.equal(
      (await api.call('delete', `/identity-providers/${unmapped}`, { token: narrow })).status,
      204,
    );
    assert.equal((await api.call('delete', `/identity-providers/${id}`, { token: owner })).status, 204);
    assert.equal(await stored(id), undefined);
  });
});
