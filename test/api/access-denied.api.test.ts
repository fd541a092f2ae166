import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import request from 'supertest';
import { REFUSAL_WINDOW_MS } from '../../src/api/refusals.ts';
import { createApp } from '../../src/app.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { appToken, expectError, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addBusinessGroup, addUser, addUserWith } from '../helpers/factories.ts';

// SEC-12: a refused administrative action is audited (`access.denied`) in the caller's tenant, with
// what was missing and where, readable by the tenant's auditors; anonymous 401s are not.

type Entry = {
  id: string;
  occurredAt: string;
  organizationId: string | null;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string } | null;
  outcome: string;
  before: unknown;
  after: Record<string, unknown>;
  requestId: string | null;
};

const { container: c, clock, api, t } = await apiSuite();
const auditor = await userToken(c, (await addUserWith(c, t, ['audit.view'])).id);

describe('admin API: refused actions are audited (SEC-12)', () => {
  /** The tenant's `access.denied` entries, newest first, as an auditor reads them over the API. */
  async function denials(orgId = t.tenantId, token = auditor): Promise<Entry[]> {
    const res = await api.call('get', `/organizations/${orgId}/audit-log?action=access.denied&limit=200`, {
      token,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.entries;
  }
  const rowCount = async () => Number((await c.database.knex('audit_log').count('* as n'))[0]!.n);

  test('SEC-12 a user without the permission is refused (403) and the refusal is audited with what was missing', async () => {
    const nobody = await addUser(c, t.tenantId);
    const target = await addUser(c, t.tenantId);
    const token = await userToken(c, nobody.id);
    // Inviting creates users: the body names an address, which must not reach the entry.
    const invitee = `sec12-${randomUUID()}@invitee.test`;
    const invite = await api.call('post', `/organizations/${t.tenantId}/invitations`, {
      token,
      body: { emails: [invitee] },
    });
    expectError(invite, 403, 'auth.permission_denied');
    const disable = await api.call('post', `/users/${target.id}/disable`, { token });
    expectError(disable, 403, 'auth.permission_denied');

    const mine = (await denials()).filter((e) => e.actor.id === nobody.id);
    assert.equal(mine.length, 2, JSON.stringify(mine));
    const [disabled, invited] = mine;
    assert.deepEqual(invited, {
      id: invited!.id,
      occurredAt: invited!.occurredAt,
      organizationId: t.tenantId,
      actor: { type: 'user', id: nobody.id },
      action: 'access.denied',
      target: { type: 'organization', id: t.tenantId },
      outcome: 'failure',
      before: null,
      after: {
        method: 'POST',
        route: '/api/v1/organizations/:orgId/invitations',
        code: 'auth.permission_denied',
        permission: 'users.invite',
        organizationId: t.tenantId,
      },
      requestId: invite.body.requestId,
    });
    assert.deepEqual(disabled!.target, { type: 'user', id: target.id });
    assert.deepEqual(disabled!.after, {
      method: 'POST',
      route: '/api/v1/users/:userId/disable',
      code: 'auth.permission_denied',
      permission: 'users.manage',
      organizationId: t.tenantId,
    });
    assert.equal(disabled!.requestId, disable.body.requestId);
    const everything = JSON.stringify(await c.database.knex('audit_log').select('*'));
    assert.ok(!everything.includes(invitee), "the request's body never reaches the audit log");
  });

  test('SEC-12 a refused escalation names the missing permissions; a refusal on a business group shows in its log', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const assigner = await addUserWith(c, t, ['roles.assign']);
    const other = await addUser(c, t.tenantId);
    const token = await userToken(c, assigner.id);
    const escalate = await api.call('post', '/role-assignments', {
      token,
      body: { userId: other.id, roleId: ORGANIZATION_ADMINISTRATORS.id, organizationId: t.tenantId },
    });
    expectError(escalate, 403, 'role_assignment.privilege_escalation');
    const below = await api.call('get', `/organizations/${group.id}/role-assignments`, { token });
    expectError(below, 403, 'auth.permission_denied');

    const mine = (await denials()).filter((e) => e.actor.id === assigner.id);
    assert.deepEqual(
      mine.map((e) => [e.organizationId, e.after.route, e.after.code]),
      [
        [group.id, '/api/v1/organizations/:orgId/role-assignments', 'auth.permission_denied'],
        [t.tenantId, '/api/v1/role-assignments', 'role_assignment.privilege_escalation'],
      ],
    );
    const missing = mine[1]!.after.missing as string[];
    assert.deepEqual(missing, escalate.body.details.missingPermissions);
    assert.ok(missing.includes('users.manage'));
    assert.equal(mine[1]!.target, null, 'a route without an id names no target');
    // AUD-2 holds for refusals too: the group's own log holds the refusal made there, and only it.
    const owner = await userToken(c, t.user.id);
    const inGroup = (await denials(group.id, owner)).filter((e) => e.actor.id === assigner.id);
    assert.deepEqual(
      inGroup.map((e) => e.id),
      [mine[0]!.id],
    );
  });

  test('SEC-12 a service app refused for want of a permission is audited as the app', async () => {
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: `Provisioner ${randomUUID()}`,
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['environments.manage'] }],
    });
    const token = await appToken(c, app.clientId, 'environments.manage');
    const refused = await api.call('get', '/apps', { token });
    expectError(refused, 403, 'auth.permission_denied');
    const mine = (await denials()).filter((e) => e.actor.id === app.clientId);
    assert.equal(mine.length, 1);
    assert.deepEqual(
      [mine[0]!.actor, mine[0]!.outcome, mine[0]!.after],
      [
        { type: 'app', id: app.clientId },
        'failure',
        {
          method: 'GET',
          route: '/api/v1/apps',
          code: 'auth.permission_denied',
          permission: 'apps.manage',
          organizationId: t.tenantId,
        },
      ],
    );
  });

  test('SEC-12 a 401 (no token, or a bad one) is not audited', async () => {
    const before = await rowCount();
    expectError(await api.call('post', '/users/x/disable'), 401, 'auth.unauthenticated');
    const bad = await api.call('get', `/organizations/${t.tenantId}/audit-log`, { token: 'not-a-token' });
    expectError(bad, 401, 'auth.unauthenticated');
    assert.equal(await rowCount(), before);
  });

  test('SEC-12 when the audit log cannot take the entry, the answer is still the 403, never a 500', async () => {
    const knex = c.database.knex;
    const token = await userToken(c, (await addUser(c, t.tenantId)).id);
    await knex.raw(`create function refuse_access_denied() returns trigger language plpgsql as $$
      begin raise exception 'audit log unavailable'; end $$`);
    await knex.raw(`create trigger refuse_access_denied before insert on audit_log for each row
      when (new.action = 'access.denied') execute function refuse_access_denied()`);
    try {
      const before = await rowCount();
      expectError(await api.call('get', '/apps', { token }), 403, 'auth.permission_denied');
      assert.equal(await rowCount(), before, 'the refused write wrote nothing');
    } finally {
      await knex.raw('drop trigger refuse_access_denied on audit_log');
      await knex.raw('drop function refuse_access_denied()');
    }
  });

  test('SEC-12 a refusal on a URL written in other letter cases is audited under the route as declared', async () => {
    const nobody = await addUser(c, t.tenantId);
    const target = await addUser(c, t.tenantId);
    const token = await userToken(c, nobody.id);
    // Express matches paths whatever their case: the entry must not take the request's spelling.
    const res = await request(createApp(c))
      .post(`/API/V1/Users/${target.id}/DISABLE`)
      .set('authorization', `Bearer ${token}`);
    expectError(res, 403, 'auth.permission_denied');
    const mine = (await denials()).filter((e) => e.actor.id === nobody.id);
    assert.deepEqual(
      mine.map((e) => [e.after.method, e.after.route, e.target]),
      [['POST', '/api/v1/users/:userId/disable', { type: 'user', id: target.id }]],
    );
  });

  test('SEC-12 refusals are coalesced: a burst is one entry, the next one a minute later counts those left out', async () => {
    const flooder = await addUser(c, t.tenantId);
    const other = await addUser(c, t.tenantId);
    const token = await userToken(c, flooder.id);
    const refused = async (as = token) =>
      expectError(await api.call('get', '/apps', { token: as }), 403, 'auth.permission_denied');
    const before = await rowCount();
    await Promise.all(Array.from({ length: 50 }, () => refused()));
    assert.equal(await rowCount(), before + 1, '50 refusals in a burst: one entry');
    await refused(await userToken(c, other.id));
    assert.equal(await rowCount(), before + 2, "another user's refusal is recorded on its own");
    // Another route, or another code, is another key: recorded at once.
    expectError(await api.call('get', '/users', { token }), 403, 'auth.permission_denied');
    assert.equal(await rowCount(), before + 3);

    // A minute later (by the service's clock) the next refusal is recorded, with the count.
    clock.advance(REFUSAL_WINDOW_MS);
    await refused();
    await refused(); // a new window starts with the entry just written
    assert.equal(await rowCount(), before + 4);
    const mine = (await denials()).filter(
      (e) => e.actor.id === flooder.id && e.after.route === '/api/v1/apps',
    );
    assert.deepEqual(
      mine.map((e) => e.after),
      [
        {
          method: 'GET',
          route: '/api/v1/apps',
          code: 'auth.permission_denied',
          permission: 'apps.manage',
          organizationId: t.tenantId,
          suppressed: 49,
        },
        {
          method: 'GET',
          route: '/api/v1/apps',
          code: 'auth.permission_denied',
          permission: 'apps.manage',
          organizationId: t.tenantId,
        },
      ],
    );
    assert.equal((await denials()).filter((e) => e.actor.id === other.id).length, 1);
  });
});
