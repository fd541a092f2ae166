import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { appToken, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addBusinessGroup, addUser, operator, signUpTenant, userCtx } from '../helpers/factories.ts';

// AUD-2 over the admin API: holders of audit.view on a node read the entries of that node and its
// descendants, filtered by time, action and actor, page by page; nobody else reads anything.

const auditViewer = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!.id;
const MINUTE = 60_000;

type Entry = { id: string; organizationId: string | null; action: string; actor: { id: string | null } };

const { container: c, clock, api, t, token: owner } = await apiSuite();
const group = await addBusinessGroup(c, t, t.tenantId);
const child = await addBusinessGroup(c, t, group.id);
const sibling = await addBusinessGroup(c, t, t.tenantId);
for (const orgId of [group.id, child.id, sibling.id]) {
  clock.advance(MINUTE);
  await c.environments.create(t.owner, t.tenantId, orgId, { name: 'Prod', type: 'production' });
}
const middle = new Date(clock.now().getTime() + MINUTE / 2);
clock.advance(MINUTE);
// A deputy administering the group acts in the child; an auditor of the group reads.
const deputy = await addUser(c, t.tenantId);
const deputyId = deputy.id;
await c.assignments.assign(t.owner, t.tenantId, {
  userId: deputy.id,
  roleId: ORGANIZATION_ADMINISTRATORS.id,
  organizationId: group.id,
});
const asDeputy = userCtx(t.tenantId, deputy.id);
await c.organizations.setProperties(asDeputy, t.tenantId, child.id, { region: 'eu' });
const secret = (await c.credentials.read(asDeputy, t.tenantId, { orgId: child.id, environmentId: null }))
  .clientSecret;
const reader = await addUser(c, t.tenantId);
await c.assignments.assign(t.owner, t.tenantId, {
  userId: reader.id,
  roleId: auditViewer,
  organizationId: group.id,
});
const auditor = await userToken(c, reader.id);
// An installation-level entry (no tenant) naming the group's id must never show.
await c.audit.recordNow(operator(), { tenantId: null, orgId: group.id, action: 'signing_keys.rotate' });

describe('admin API: audit log (AUD-2)', () => {
  const log = async (token: string, orgId: string, query = '') => {
    const res = await api.call('get', `/organizations/${orgId}/audit-log${query}`, { token });
    return res;
  };
  const all = async (token: string, orgId: string, query = '') => {
    const res = await log(token, orgId, `?limit=200${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.nextCursor, null);
    return res.body.entries as Entry[];
  };
  const stored = (orgIds?: string[]) => {
    const q = c.database.knex('audit_log').where({ tenant_id: t.tenantId });
    if (orgIds) q.whereIn('org_id', orgIds);
    return q.orderBy('id', 'desc').pluck('id');
  };

  test('AUD-2 an auditor of a business group reads its entries and its descendants’, nothing else', async () => {
    const entries = await all(auditor, group.id);
    assert.deepEqual(
      entries.map((e) => e.id),
      (await stored([group.id, child.id])).map(String),
    );
    assert.ok(entries.some((e) => e.organizationId === child.id && e.action === 'environment.create'));
    assert.ok(entries.some((e) => e.action === 'credentials.read'));
    assert.ok(
      !entries.some((e) => e.action === 'signing_keys.rotate'),
      'installation-level entries never show',
    );
    assert.ok(!JSON.stringify(entries).includes(secret), 'secrets are redacted');
    // Their role is not inherited: the child's entries show in the group's log, the child alone is not theirs.
    for (const orgId of [t.tenantId, sibling.id, child.id]) {
      const refused = await log(auditor, orgId);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'auth.permission_denied');
      assert.equal(refused.body.details.permission, 'audit.view');
    }
  });

  test('AUD-2 on the master, the whole organization’s log; installation-level entries never', async () => {
    const entries = await all(owner, t.tenantId);
    assert.deepEqual(
      entries.map((e) => e.id),
      (await stored()).map(String),
    );
    assert.ok(entries.some((e) => e.organizationId === sibling.id));
    assert.ok(!entries.some((e) => e.action === 'signing_keys.rotate'));
  });

  test('AUD-2 filters: action, actor, from and to', async () => {
    const created = await all(owner, t.tenantId, '&action=environment.create');
    assert.ok(created.length >= 3 && created.every((e) => e.action === 'environment.create'));
    const byDeputy = await all(auditor, group.id, `&actor=${deputyId}`);
    assert.deepEqual(byDeputy.map((e) => e.action).sort(), [
      'credentials.read',
      'organization.properties.update',
    ]);
    const before = await all(owner, group.id, `&to=${middle.toISOString()}`);
    const since = await all(owner, group.id, `&from=${encodeURIComponent(middle.toISOString())}`);
    assert.ok(before.length > 0 && since.length > 0);
    assert.equal(before.length + since.length, (await all(owner, group.id)).length);
    assert.ok(
      before.every((e) => !byDeputy.some((d) => d.id === e.id)),
      'the deputy acted after the middle',
    );
    assert.deepEqual(await all(owner, group.id, '&from=2025-06-01&to=2025-06-02'), []);
  });

  test('AUD-2 page by page: limit and cursor walk the log once, newest first', async () => {
    const expected = (await all(owner, t.tenantId)).map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await log(owner, t.tenantId, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.entries.length <= 3);
      seen.push(...res.body.entries.map((e: Entry) => e.id));
      cursor = res.body.nextCursor;
      pages++;
    }
    assert.deepEqual(seen, expected);
    assert.equal(pages, Math.ceil(expected.length / 3), 'a full last page says there is no next one');
    assert.ok(seen.every((id, i) => i === 0 || Number(id) < Number(seen[i - 1])));
  });

  test('AUD-2 bad parameters are a 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=ten', 'limit'],
      ['?cursor=abc', 'cursor'],
      ['?from=yesterday', 'from'],
      ['?from=2026-02-01&to=2026-01-01', 'to'],
      ['?colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      const res = await log(owner, t.tenantId, query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.code, 'request.invalid_input');
      assert.ok(
        res.body.details.fields.some((f: { field: string }) => f.field === field),
        `${query}: ${JSON.stringify(res.body.details)}`,
      );
    }
  });

  test('AUD-2 refused: no token (401), no audit.view (403), another organization (404, and nothing leaks)', async () => {
    assert.equal((await api.call('get', `/organizations/${t.tenantId}/audit-log`)).status, 401);
    const nobody = await userToken(c, (await addUser(c, t.tenantId)).id);
    assert.equal((await log(nobody, group.id)).status, 403);
    const other = await signUpTenant(c);
    const outsider = await userToken(c, other.user.id);
    for (const orgId of [t.tenantId, group.id]) {
      const res = await log(outsider, orgId);
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'organization.not_found');
    }
    const theirs = await all(outsider, other.tenantId);
    const ours = new Set((await stored()).map(String));
    assert.ok(theirs.length > 0 && theirs.every((e) => !ours.has(e.id)));
  });

  test('AUD-2 a service app granted audit.view on the group reads the group’s log only', async () => {
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Log shipper',
      kind: 'service',
      grants: [{ organizationId: group.id, permissions: ['audit.view'] }],
    });
    const token = await appToken(c, app.clientId, 'audit.view');
    assert.deepEqual(
      (await all(token, group.id)).map((e) => e.id),
      (await stored([group.id, child.id])).map(String),
    );
    assert.equal((await log(token, t.tenantId)).status, 403);
  });
});
