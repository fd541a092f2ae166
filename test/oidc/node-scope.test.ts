import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { ALL_PERMISSIONS, BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import type { User } from '../../src/modules/users/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  authorizationRequest,
  codeFlow,
  errorOf,
  type RelyingParty,
  registerApp,
  signIn,
} from '../helpers/sso-flow.ts';

const role = (key: string) => BUILT_IN_ROLES.find((r) => r.key === key)!;

function sortedLines(lines: unknown): unknown[] {
  assert.ok(Array.isArray(lines), `org_roles must be an array, got ${JSON.stringify(lines)}`);
  return [...lines].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** The node-scoped claims of one place (ID token, userinfo, introspection), compared whole. */
function assertNarrowed(
  where: string,
  claims: Record<string, unknown>,
  expected: { org_roles: unknown[]; roles: string[]; permissions: string[] },
) {
  assert.deepEqual(sortedLines(claims.org_roles), sortedLines(expected.org_roles), `${where}: org_roles`);
  assert.deepEqual(claims.roles, expected.roles, `${where}: roles`);
  assert.ok(Array.isArray(claims.permissions), `${where}: permissions must be an array`);
  assert.deepEqual(
    [...(claims.permissions as string[])].sort(),
    [...expected.permissions].sort(),
    `${where}: permissions`,
  );
}

describe('SESS-5 a node scope org:<id> narrows the claims to that node', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let other: Tenant;
  let web: RelyingParty;
  let group: { id: string; name: string };
  let sibling: { id: string };
  let member: User;
  before(async () => {
    s = await startOidcServer();
    const c = s.container;
    t = await signUpTenant(c);
    other = await signUpTenant(c);
    web = await registerApp(s, t, { kind: 'web', firstParty: true });
    group = await addBusinessGroup(c, t, t.tenantId, 'Payments');
    sibling = await addBusinessGroup(c, t, t.tenantId, 'Logistics');
    member = await addUser(c, t.tenantId);
    const assign = (input: Record<string, unknown>) => c.assignments.assign(t.owner, t.tenantId, input);
    // The founder: Organization Administrators inherited from the master, a narrow role on the group,
    // and one on a sibling (not in force on the group).
    await assign({ userId: t.user.id, roleId: role('api-alerts-viewer').id, organizationId: group.id });
    await assign({ userId: t.user.id, roleId: role('audit-viewer').id, organizationId: sibling.id });
    // A member: an inheriting role on the master (in force below), a non-inheriting one there (not in
    // force below), a direct role on the group, and one on the sibling.
    await assign({
      userId: member.id,
      roleId: role('analytics-viewer').id,
      organizationId: t.tenantId,
      inherit: true,
    });
    await assign({
      userId: member.id,
      roleId: role('audit-viewer').id,
      organizationId: t.tenantId,
      inherit: false,
    });
    await assign({ userId: member.id, roleId: role('api-alerts-manager').id, organizationId: group.id });
    await assign({ userId: member.id, roleId: role('api-alerts-viewer').id, organizationId: sibling.id });
  });
  after(() => s.close());

  /** The code flow with a node scope, checking first that the node scope was granted at all. */
  async function narrowedFlow(nodeId: string, options: { scope?: string; username?: string } = {}) {
    const scope = `${options.scope ?? 'openid'} org:${nodeId}`;
    const flow = await codeFlow(s, web, { ...options, scope });
    assert.ok(
      flow.tokens.scope?.split(' ').includes(`org:${nodeId}`),
      `the token response's scope "${flow.tokens.scope}" lacks org:${nodeId}: the node scope was dropped`,
    );
    return flow;
  }

  test('SESS-5 inherited Organization Administrators plus a direct role: exact org_roles, roles and permissions in ID token, userinfo and introspection', async () => {
    const { tokens } = await narrowedFlow(group.id);
    const expected = {
      org_roles: [
        { org: t.tenantId, roles: ['Organization Administrators'], inherit: true },
        { org: group.id, roles: ['API Alerts Viewer'], inherit: false },
      ],
      roles: ['API Alerts Viewer', 'Organization Administrators'],
      permissions: [...ALL_PERMISSIONS],
    };
    const claims = tokens.claims()!;
    assert.equal(claims.org_id, t.tenantId);
    assertNarrowed('ID token', claims, expected);
    assertNarrowed(
      'userinfo',
      await client.fetchUserInfo(web.config, tokens.access_token, t.user.id),
      expected,
    );
    const introspected = await client.tokenIntrospection(web.config, tokens.access_token);
    assert.equal(introspected.active, true);
    assertNarrowed('introspection', introspected, expected);
  });

  test('SESS-5 ROLE-4 a member: only the assignments in force on the node (its own and inheriting ones above)', async () => {
    const { tokens } = await narrowedFlow(group.id, { scope: 'openid profile', username: member.username });
    const expected = {
      org_roles: [
        { org: t.tenantId, roles: ['Analytics Viewer'], inherit: true },
        { org: group.id, roles: ['API Alerts Manager'], inherit: false },
      ],
      roles: ['API Alerts Manager', 'Analytics Viewer'],
      permissions: ['analytics.view', 'api-alerts.manage', 'api-alerts.view'],
    };
    const claims = tokens.claims()!;
    assert.equal(claims.sub, member.id);
    assert.equal(claims.preferred_username, member.username);
    assertNarrowed('ID token', claims, expected);
    assertNarrowed(
      'userinfo',
      await client.fetchUserInfo(web.config, tokens.access_token, member.id),
      expected,
    );
    assertNarrowed(
      'introspection',
      await client.tokenIntrospection(web.config, tokens.access_token),
      expected,
    );
  });

  test('SESS-5 ROLE-3 naming the master: its own assignments, inheriting or not', async () => {
    const { tokens } = await narrowedFlow(t.tenantId, { username: member.username });
    assertNarrowed('ID token', tokens.claims()!, {
      org_roles: [
        { org: t.tenantId, roles: ['Analytics Viewer'], inherit: true },
        { org: t.tenantId, roles: ['Audit Viewer'], inherit: false },
      ],
      roles: ['Analytics Viewer', 'Audit Viewer'],
      permissions: ['analytics.view', 'audit.view'],
    });
  });

  async function refusedScope(scope: string): Promise<URL> {
    const request = await authorizationRequest(web, { scope });
    return signIn(new TestBrowser(), s, request);
  }

  test('SESS-5 an unknown node in the scope: invalid_scope error redirect, no code', async () => {
    const callback = await refusedScope(`openid org:${randomUUID()}`);
    assert.equal(errorOf(callback), 'invalid_scope');
  });

  test("SESS-5 APP-2 another tenant's node in the scope: invalid_scope error redirect, no code", async () => {
    const callback = await refusedScope(`openid org:${other.tenantId}`);
    assert.equal(errorOf(callback), 'invalid_scope');
  });

  test('SESS-5 two node scopes: invalid_scope error redirect, no code', async () => {
    const callback = await refusedScope(`openid org:${group.id} org:${sibling.id}`);
    assert.equal(errorOf(callback), 'invalid_scope');
  });
});
