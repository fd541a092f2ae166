import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/built-in-roles.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  introspect,
  registerServiceApp,
  registerWebApp,
  relyingParty,
  signIn,
  type Tokens,
} from '../helpers/sso-session.ts';

// Who may introspect (SESS-6) and what introspection reports (SESS-5, ROLE-6): the caller must be
// a client of the token's own master org; the answer carries the user's current roles.

let s: OidcTestServer;
before(async () => {
  s = await startOidcServer();
});
after(() => s.close());

const roleId = (name: string) => BUILT_IN_ROLES.find((r) => r.name === name)!.id;

/** Every kind of client a master org has: a web app, a service app, environment and org-level credentials. */
async function clientsOf(t: Tenant) {
  const c = s.container;
  const web = await registerWebApp(c, t.owner, t.tenantId, s.issuer);
  const service = await registerServiceApp(c, t.owner, t.tenantId, s.issuer, [
    { organizationId: t.tenantId, permissions: ['audit.view'] },
  ]);
  const env = await c.credentials.read(t.owner, t.tenantId, {
    orgId: t.tenantId,
    environmentId: t.environments[0]!.id,
  });
  const org = await c.credentials.read(t.owner, t.tenantId, { orgId: t.tenantId, environmentId: null });
  return {
    web: web.rp,
    service: service.rp,
    environment: await relyingParty(s.issuer, env.clientId, env.clientSecret),
    orgLevel: await relyingParty(s.issuer, org.clientId, org.clientSecret),
  };
}

let home: Tenant;
let homeClients: Awaited<ReturnType<typeof clientsOf>>;
let foreignClients: Awaited<ReturnType<typeof clientsOf>>;
let founderTokens: Tokens;

describe('SESS-6 who gets an answer', () => {
  before(async () => {
    home = await signUpTenant(s.container);
    homeClients = await clientsOf(home);
    foreignClients = await clientsOf(await signUpTenant(s.container));
    founderTokens = (await signIn(homeClients.web)).tokens;
  });

  test('SESS-6 the app and every other client of the same master org get the answer with org claims', async () => {
    for (const [name, rp] of Object.entries(homeClients)) {
      for (const kind of ['access_token', 'refresh_token'] as const) {
        const answer = await introspect(rp, founderTokens[kind]!);
        assert.equal(answer.active, true, `${name} introspecting the ${kind}`);
        assert.equal(answer.sub, home.user.id, name);
        assert.equal(answer.client_id, homeClients.web.clientMetadata().client_id, name);
        assert.equal(answer.org_id, home.tenantId, name);
        assert.equal(answer.org_domain, home.organization.domain, name);
        assert.deepEqual(
          answer.org_roles,
          [{ org: home.tenantId, roles: [ORGANIZATION_ADMINISTRATORS.name], inherit: true }],
          name,
        );
        assert.equal('roles' in answer, false, `${name}: flat roles only with a node scope`);
      }
    }
  });

  test('SESS-6 clients of another master org get active: false and nothing else', async () => {
    for (const [name, rp] of Object.entries(foreignClients)) {
      for (const kind of ['access_token', 'refresh_token'] as const) {
        assert.deepEqual(await introspect(rp, founderTokens[kind]!), { active: false }, `${name}, ${kind}`);
      }
    }
    // Still active for its own org: the refusal is about the caller, not the token.
    assert.equal((await introspect(homeClients.environment, founderTokens.access_token)).active, true);
  });

  test('SESS-6 client-credentials tokens are answered only within their master org', async () => {
    const token = (await client.clientCredentialsGrant(homeClients.environment)).access_token;
    assert.equal((await introspect(homeClients.web, token)).active, true, 'a web app of the same org');
    for (const [name, rp] of Object.entries(foreignClients))
      assert.deepEqual(await introspect(rp, token), { active: false }, name);
  });

  test('SESS-6 a client of another master org cannot revoke the token', async () => {
    const { tokens } = await signIn(homeClients.web);
    for (const [name, rp] of Object.entries(foreignClients)) {
      await client.tokenRevocation(rp, tokens.access_token).catch(() => undefined);
      await client.tokenRevocation(rp, tokens.refresh_token!).catch(() => undefined);
      assert.equal(
        (await introspect(homeClients.web, tokens.access_token)).active,
        true,
        `${name} revoked it`,
      );
      assert.equal(
        (await introspect(homeClients.web, tokens.refresh_token!)).active,
        true,
        `${name} revoked it`,
      );
    }
    // The app itself can.
    await client.tokenRevocation(homeClients.web, tokens.refresh_token!);
    assert.equal(
      (await introspect(homeClients.web, tokens.refresh_token!)).active,
      false,
      'revoked by its app',
    );
  });
});

describe('ROLE-6 introspection reports the current roles', () => {
  test('ROLE-6 a role assigned or removed after issue shows at once, the token unchanged', async () => {
    const c = s.container;
    const t = await signUpTenant(c);
    const user = await addUser(c, t.tenantId);
    const clients = await clientsOf(t);
    const { tokens } = await signIn(clients.web, { username: user.username });
    const orgRoles = async () => (await introspect(clients.environment, tokens.access_token)).org_roles;
    assert.deepEqual(await orgRoles(), [], 'no role at issue');

    const assigned = await c.assignments.assign(t.owner, t.tenantId, {
      userId: user.id,
      roleId: roleId('Audit Viewer'),
      organizationId: t.tenantId,
    });
    assert.deepEqual(await orgRoles(), [{ org: t.tenantId, roles: ['Audit Viewer'], inherit: false }]);
    const viaApp = await introspect(clients.web, tokens.access_token);
    assert.deepEqual(viaApp.org_roles, [{ org: t.tenantId, roles: ['Audit Viewer'], inherit: false }]);

    await c.assignments.remove(t.owner, t.tenantId, assigned.id);
    assert.deepEqual(await orgRoles(), [], 'removed at once');
  });

  test('SESS-5 ROLE-6 a node-scoped token shows flat roles and permissions for that node, kept current', async () => {
    const c = s.container;
    const t = await signUpTenant(c);
    const group = await addBusinessGroup(c, t, t.tenantId);
    const user = await addUser(c, t.tenantId);
    const grant = (name: string, organizationId: string, inherit: boolean) =>
      c.assignments.assign(t.owner, t.tenantId, {
        userId: user.id,
        roleId: roleId(name),
        organizationId,
        inherit,
      });
    await grant('Analytics Viewer', t.tenantId, true); // inherited into the group
    await grant('API Alerts Viewer', t.tenantId, false); // the master only
    const auditor = await grant('Audit Viewer', group.id, false);
    const clients = await clientsOf(t);
    const { tokens } = await signIn(clients.web, {
      username: user.username,
      scope: `openid org:${group.id}`,
    });
    assert.match(tokens.scope ?? '', new RegExp(`org:${group.id}`), 'the node scope was granted');

    const narrowed = async () => {
      const answer = await introspect(clients.environment, tokens.access_token);
      assert.equal(answer.active, true);
      return {
        roles: answer.roles as string[],
        permissions: [...(answer.permissions as string[])].sort(),
        lines: (answer.org_roles as { org: string; roles: string[] }[])
          .map((l) => `${l.org === group.id ? 'group' : 'master'}:${l.roles.join('+')}`)
          .sort(),
      };
    };
    assert.deepEqual(await narrowed(), {
      roles: ['Analytics Viewer', 'Audit Viewer'],
      permissions: ['analytics.view', 'audit.view'],
      lines: ['group:Audit Viewer', 'master:Analytics Viewer'],
    });

    await grant('API Alerts Manager', group.id, false);
    await c.assignments.remove(t.owner, t.tenantId, auditor.id);
    assert.deepEqual(await narrowed(), {
      roles: ['API Alerts Manager', 'Analytics Viewer'],
      permissions: ['analytics.view', 'api-alerts.manage', 'api-alerts.view'],
      lines: ['group:API Alerts Manager', 'master:Analytics Viewer'],
    });
  });
});
