import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFederatedIdentityRepository } from '../../src/modules/identity-providers/identity.repository.ts';
import { mappingSource } from '../../src/modules/identity-providers/index.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { builtInRoleId } from '../helpers/api-world.ts';
import { invalidFields, rejectsWith } from '../helpers/assertions.ts';
import {
  addBusinessGroup,
  addUser,
  insertAssignmentRow,
  signUpTenant,
  userCtx,
} from '../helpers/factories.ts';
import {
  CERT_A,
  CERT_B,
  OIDC_SECRET,
  oidcProvider,
  SHORT_LIVED_CERT,
  samlProvider,
} from '../helpers/idp-fixtures.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

describe('identity providers: configuration (FED-1, FED-4, FED-5, FED-6)', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  test('FED-6 FED-7 config rules: every problem is named by its field', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const err = await rejectsWith(
      c.identityProviders.create(
        t.owner,
        t.tenantId,
        samlProvider('Bad', {
          ssoUrl: 'http://idp.example.test/sso',
          signingCertificates: ['not a certificate', `${CERT_A}\n${CERT_B}`],
          wantAssertionsSigned: false,
          wantResponseSigned: false,
          clockSkewSeconds: 301,
          surprise: 1,
        }),
      ),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(err), [
      'config.clockSkewSeconds',
      'config.signingCertificates.0',
      'config.signingCertificates.1',
      'config.ssoUrl',
      'config.surprise',
    ]);
    // The never-neither rule is checked once the fields themselves are valid.
    const neither = await rejectsWith(
      c.identityProviders.create(
        t.owner,
        t.tenantId,
        samlProvider('Neither', { wantAssertionsSigned: false, wantResponseSigned: false }),
      ),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(neither), ['config.wantResponseSigned']);
    const oidc = await rejectsWith(
      c.identityProviders.create(
        t.owner,
        t.tenantId,
        oidcProvider(
          'Bad OIDC',
          { issuer: 'http://login.example.test', idTokenSigningAlgs: ['none', 'HS256'], scopes: ['profile'] },
          { clientSecret: '' },
        ),
      ),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(oidc), [
      'clientSecret',
      'config.idTokenSigningAlgs.0',
      'config.idTokenSigningAlgs.1',
      'config.issuer',
      'config.scopes',
    ]);
    const kind = await rejectsWith(
      c.identityProviders.create(t.owner, t.tenantId, { kind: 'ldap', name: 'x' }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(kind), ['kind']);
  });

  test('FED-6 defaults: both signatures wanted, IdP-initiated off, 60 s skew; an expired certificate is refused', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const p = await c.identityProviders.create(t.owner, t.tenantId, samlProvider('Okta'));
    assert.equal(p.kind, 'saml');
    if (p.kind !== 'saml') return;
    assert.equal(p.config.wantAssertionsSigned, true);
    assert.equal(p.config.wantResponseSigned, true);
    assert.equal(p.config.allowIdpInitiated, false);
    assert.equal(p.config.clockSkewSeconds, 60);
    assert.deepEqual(p.config.attributes, {
      username: 'uid',
      email: 'email',
      name: 'displayName',
      groups: 'groups',
    });
    assert.equal(p.urls.acsUrl.endsWith(`/saml/${p.id}/acs`), true);
    assert.match(p.certificates[0]!.subject, /idp-a\.example\.test/);

    env.clock.set(new Date('2200-01-01T00:00:00Z'));
    try {
      const expired = await rejectsWith(
        c.identityProviders.create(
          t.owner,
          t.tenantId,
          samlProvider('Old', { signingCertificates: [SHORT_LIVED_CERT] }),
        ),
        'request.invalid_input',
      );
      assert.deepEqual(invalidFields(expired), ['config.signingCertificates.0']);
      assert.match(expired.message, /expired on/);
      // A stored certificate that expired since does not block other changes.
      await c.identityProviders.update(t.owner, t.tenantId, p.id, { name: 'Okta (renamed)' });
    } finally {
      env.clock.set(new Date('2026-01-01T00:00:00Z'));
    }
    await rejectsWith(
      c.identityProviders.create(t.owner, t.tenantId, samlProvider('OKTA (RENAMED)')),
      'identity_provider.name_taken',
    );
  });

  test('CRED-6 AUD-1 an OIDC client secret is sealed at rest, never answered nor audited; the sign-in read opens it', async () => {
    const c = env.container;
    const knex = c.database.knex;
    const t = await signUpTenant(c);
    const p = await c.identityProviders.create(t.owner, t.tenantId, oidcProvider('Entra'));
    assert.equal(p.kind === 'oidc' && p.hasClientSecret, true);
    assert.equal(JSON.stringify(p).includes(OIDC_SECRET), false);
    const row = await knex('identity_providers').where({ id: p.id }).first();
    assert.equal(JSON.stringify(row).includes(OIDC_SECRET), false);
    assert.match(row.secret_sealed, /^v1\./);
    const updated = await c.identityProviders.update(t.owner, t.tenantId, p.id, {
      clientSecret: 'next-secret-1',
      config: { scopes: ['openid'] },
    });
    assert.deepEqual(updated.kind === 'oidc' && updated.config.scopes, ['openid']);
    const audit = await knex('audit_log').where({ tenant_id: t.tenantId, target_id: p.id });
    assert.deepEqual(audit.map((a) => a.action).sort(), [
      'identity_provider.create',
      'identity_provider.update',
    ]);
    const text = JSON.stringify(audit);
    assert.equal(
      text.includes(OIDC_SECRET) || text.includes('next-secret-1') || text.includes(row.secret_sealed),
      false,
    );
    const forSignIn = await c.identityProviders.providerForSignIn(t.tenantId, p.id);
    assert.equal(forSignIn?.kind === 'oidc' && forSignIn.clientSecret, 'next-secret-1');
    await rejectsWith(
      c.identityProviders.update(t.owner, t.tenantId, p.id, {
        enabled: false,
        config: { groupsClaim: 'a..b' },
      }),
      'request.invalid_input',
    );
    await c.identityProviders.update(t.owner, t.tenantId, p.id, { enabled: false });
    assert.equal(await c.identityProviders.providerForSignIn(t.tenantId, p.id), undefined);
  });

  test('FED-1 only idp.manage on the master; another tenant sees nothing', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const other = await signUpTenant(c);
    const p = await c.identityProviders.create(t.owner, t.tenantId, samlProvider('Okta'));
    const group = await addBusinessGroup(c, t, t.tenantId);
    const groupAdmin = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: groupAdmin.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: group.id,
    });
    const asGroupAdmin = userCtx(t.tenantId, groupAdmin.id);
    await rejectsWith(c.identityProviders.list(asGroupAdmin, t.tenantId), 'auth.permission_denied');
    await rejectsWith(
      c.identityProviders.create(asGroupAdmin, t.tenantId, samlProvider('Mine')),
      'auth.permission_denied',
    );
    await rejectsWith(
      c.identityProviders.get(other.owner, other.tenantId, p.id),
      'identity_provider.not_found',
    );
    await rejectsWith(
      c.identityProviders.remove(other.owner, other.tenantId, p.id),
      'identity_provider.not_found',
    );
    assert.equal(await c.identityProviders.providerForSignIn(other.tenantId, p.id), undefined);
  });

  test('FED-4 ROLE-5 a group mapping is checked as a grant: nobody maps a group to more than they may grant', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const p = await c.identityProviders.create(t.owner, t.tenantId, samlProvider('Okta'));
    // Holds idp.manage on the master (a custom role) but no roles.assign anywhere.
    const idpAdmin = await addUser(c, t.tenantId);
    const role = await c.roles.create(t.owner, t.tenantId, {
      name: 'IdP admins',
      permissions: ['idp.manage', 'roles.assign'],
    });
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: idpAdmin.id,
      roleId: role.id,
      organizationId: t.tenantId,
    });
    const asIdpAdmin = userCtx(t.tenantId, idpAdmin.id);
    await rejectsWith(
      c.groupMappings.create(asIdpAdmin, t.tenantId, p.id, {
        group: 'admins',
        roleId: ORGANIZATION_ADMINISTRATORS.id,
        organizationId: t.tenantId,
      }),
      'role_assignment.privilege_escalation',
    );
    const ok = await c.groupMappings.create(asIdpAdmin, t.tenantId, p.id, {
      group: 'IdP Admins',
      roleId: role.id,
      organizationId: t.tenantId,
    });
    assert.equal(ok.inherit, false);
    await rejectsWith(
      c.groupMappings.create(t.owner, t.tenantId, p.id, {
        group: 'IdP Admins',
        roleId: role.id,
        organizationId: t.tenantId,
      }),
      'group_mapping.exists',
    );
    // Exact strings: another case is another group.
    await c.groupMappings.create(t.owner, t.tenantId, p.id, {
      group: 'idp admins',
      roleId: role.id,
      organizationId: t.tenantId,
    });
    const owners = await c.groupMappings.create(t.owner, t.tenantId, p.id, {
      group: 'admins',
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: t.tenantId,
    });
    await rejectsWith(
      c.groupMappings.remove(asIdpAdmin, t.tenantId, p.id, owners.id),
      'role_assignment.privilege_escalation',
    );
    assert.equal((await c.groupMappings.mappingsForSignIn(t.tenantId, p.id)).length, 3);
    assert.equal(mappingSource(p.id), `idp:${p.id}`);
    await c.groupMappings.remove(t.owner, t.tenantId, p.id, owners.id);
    assert.deepEqual(
      (await c.groupMappings.list(t.owner, t.tenantId, p.id)).map((m) => m.group),
      ['IdP Admins', 'idp admins'],
    );
  });

  test('FED-5 INV-4 local accounts go off only with an enabled provider; the last enabled one then stays', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const group = await addBusinessGroup(c, t, t.tenantId);
    await rejectsWith(
      c.identityProviders.setLocalAccounts(t.owner, t.tenantId, t.tenantId, false),
      'identity_provider.none_enabled',
    );
    const off = await c.identityProviders.create(
      t.owner,
      t.tenantId,
      samlProvider('Disabled', {}, { enabled: false }),
    );
    await rejectsWith(
      c.identityProviders.setLocalAccounts(t.owner, t.tenantId, t.tenantId, false),
      'identity_provider.none_enabled',
    );
    const p = await c.identityProviders.create(t.owner, t.tenantId, oidcProvider('Entra'));
    await rejectsWith(
      c.identityProviders.setLocalAccounts(t.owner, t.tenantId, group.id, false),
      'organization.not_master',
    );
    assert.deepEqual(await c.identityProviders.setLocalAccounts(t.owner, t.tenantId, t.tenantId, false), {
      organizationId: t.tenantId,
      localAccountsEnabled: false,
    });
    await rejectsWith(
      c.invitations.invite(t.owner, t.tenantId, t.tenantId, { emails: ['x@acme.test'] }),
      'invitation.local_accounts_disabled',
    );
    await rejectsWith(
      c.identityProviders.update(t.owner, t.tenantId, p.id, { enabled: false }),
      'identity_provider.last_enabled',
    );
    await rejectsWith(
      c.identityProviders.remove(t.owner, t.tenantId, p.id),
      'identity_provider.last_enabled',
    );
    await c.identityProviders.remove(t.owner, t.tenantId, off.id); // a disabled one may go
    await c.identityProviders.setLocalAccounts(t.owner, t.tenantId, t.tenantId, true);
    await c.identityProviders.remove(t.owner, t.tenantId, p.id);
    const audit = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'organization.local_accounts.update' });
    assert.equal(audit.length, 2);
  });

  test('FED-3 deleting a provider removes its identities and mappings, never its users', async () => {
    const c = env.container;
    const knex = c.database.knex;
    const t = await signUpTenant(c);
    const p = await c.identityProviders.create(t.owner, t.tenantId, samlProvider('Okta'));
    const user = await addUser(c, t.tenantId);
    const identities = createFederatedIdentityRepository(knex);
    await identities.link(t.tenantId, {
      providerId: p.id,
      subject: 'okta|123',
      userId: user.id,
      at: env.clock.now(),
    });
    assert.equal(await identities.findUserId(t.tenantId, p.id, 'okta|123'), user.id);
    const other = await signUpTenant(c);
    assert.equal(await identities.findUserId(other.tenantId, p.id, 'okta|123'), undefined);
    await assert.rejects(
      identities.link(t.tenantId, {
        providerId: p.id,
        subject: 'okta|456',
        userId: user.id,
        at: env.clock.now(),
      }),
    );
    await c.groupMappings.create(t.owner, t.tenantId, p.id, {
      group: 'g',
      roleId: builtInRoleId('audit-viewer'),
      organizationId: t.tenantId,
    });
    await c.identityProviders.remove(t.owner, t.tenantId, p.id);
    assert.equal(await identities.findUserId(t.tenantId, p.id, 'okta|123'), undefined);
    assert.equal((await knex('group_mappings').where({ provider_id: p.id })).length, 0);
    assert.ok(await knex('users').where({ id: user.id }).first());
    await rejectsWith(c.identityProviders.get(t.owner, t.tenantId, p.id), 'identity_provider.not_found');
  });

  test('FED-4 ORG-5 ROLE-6 deleting a provider revokes the roles its mappings granted, except what an owner needs', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const p = await c.identityProviders.create(t.owner, t.tenantId, samlProvider('Entra'));
    const group = await addBusinessGroup(c, t, t.tenantId);
    const sam = await addUser(c, t.tenantId);
    const kim = await addUser(c, t.tenantId);
    const grant = (userId: string, roleId: string, source: string) =>
      insertAssignmentRow(c, t.tenantId, { userId, roleId, organizationId: group.id, source });
    // What sign-ins through the provider would have granted, and one assignment made by hand.
    const samAdmin = await grant(sam.id, ORGANIZATION_ADMINISTRATORS.id, mappingSource(p.id));
    const kimViewer = await grant(kim.id, builtInRoleId('audit-viewer'), mappingSource(p.id));
    const kimByHand = await grant(kim.id, builtInRoleId('analytics-viewer'), 'manual');
    // Sam owns the group on the strength of the mapped grant alone.
    await c.organizations.transferOwnership(t.owner, t.tenantId, group.id, { ownerUserId: sam.id });

    await c.identityProviders.remove(t.owner, t.tenantId, p.id);

    const left = async (userId: string) =>
      (await c.assignments.listForUser(t.owner, t.tenantId, userId)).map((a) => a.id).sort();
    assert.deepEqual(await left(sam.id), [samAdmin.id], 'ORG-5: the owner keeps Organization Administrators');
    assert.deepEqual(await left(kim.id), [kimByHand.id], 'hand-made assignments are untouched');
    const index = await c.directory.forTenant(t.tenantId);
    assert.equal(
      index.can(kim.id, 'audit.view', group.id),
      false,
      'ROLE-6: gone from the authorizer at once',
    );
    const entries = await env.container.database.knex('audit_log').where({
      tenant_id: t.tenantId,
      action: 'role_assignment.delete',
      target_id: kimViewer.id,
    });
    assert.equal(entries.length, 1, 'each revocation is audited');
  });
});
