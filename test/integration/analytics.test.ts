import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createUsageRecorder, type UsageRecorder } from '../../src/modules/analytics/index.ts';
import { createUsageRepository } from '../../src/modules/analytics/usage.repository.ts';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import { usageOwner } from '../../src/oidc/introspection.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { invalidFields, rejectsWith } from '../helpers/assertions.ts';
import { addBusinessGroup, addUser, PASSWORD, signUpTenant, userCtx } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// ANL-1 collection and query: counts gathered in memory and written in batches, increments that
// add up whatever the concurrency, attribution, and a year of data read through the (tenant, day) key.

const logger = createLogger('silent');
const viewerRole = BUILT_IN_ROLES.find((r) => r.key === 'analytics-viewer')!.id;
const each = (n: number) => ({ signInSuccess: n, signInFailure: n, tokenIssued: n, introspection: n });

describe('ANL-1 usage analytics', () => {
  let env: TestEnv;
  const recorders: UsageRecorder[] = [];
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    for (const r of recorders) await r.close();
    await env.close();
  });

  const db = () => env.container.database.knex;
  /** A recorder as another node would run it: same database, its own counters, no timer unless started. */
  const node = (flushEveryMs = 60_000) => {
    const r = createUsageRecorder({ db: db(), clock: env.clock, logger, flushEveryMs });
    recorders.push(r);
    return r;
  };
  const stored = (tenantId: string) =>
    db()('usage_daily')
      .where({ tenant_id: tenantId })
      .select(
        db().raw(`to_char(day, 'YYYY-MM-DD') as day`),
        'org_id',
        'environment_id',
        'client_id',
        'metric',
      )
      .select(db().raw('count::int as count'))
      .orderBy(['day', 'metric', 'client_id']);

  test('ANL-1 counting touches no SQL; a flush writes all counters in one statement', async () => {
    const tenantId = randomUUID();
    const r = node();
    const statements: string[] = [];
    const listen = (q: { sql: string }) => statements.push(q.sql);
    db().on('query', listen);
    try {
      for (let i = 0; i < 1_000; i++) {
        r.record({ tenantId, orgId: tenantId, clientId: `app-${i % 3}`, metric: 'token_issued' });
        r.record({ tenantId, orgId: tenantId, metric: 'introspection' });
      }
      assert.equal(statements.length, 0, 'recording ran no statement');
      assert.equal(r.pending, 4);
      await r.flush();
    } finally {
      db().off('query', listen);
    }
    assert.equal(
      statements.filter((s) => /insert into "usage_daily"/.test(s)).length,
      1,
      statements.join('\n'),
    );
    assert.equal(r.pending, 0);
    const rows = await stored(tenantId);
    assert.deepEqual(
      rows.map((x) => [x.client_id, x.metric, x.count]),
      [
        [null, 'introspection', 1_000],
        ['app-0', 'token_issued', 334],
        ['app-1', 'token_issued', 333],
        ['app-2', 'token_issued', 333],
      ],
    );
    assert.ok(
      rows.every((x) => x.day === '2026-01-01' && x.org_id === tenantId && x.environment_id === null),
    );
    await r.flush(); // nothing pending: nothing written, nothing doubled
    assert.equal(
      (await stored(tenantId)).reduce((n, x) => n + x.count, 0),
      2_000,
    );
  });

  test('ANL-1 the timer flushes on its own, and close() writes the last counts and stops counting', async () => {
    const tenantId = randomUUID();
    const timed = node(10);
    timed.start();
    timed.record({ tenantId, orgId: tenantId, metric: 'sign_in_success' });
    for (let i = 0; i < 500 && (await stored(tenantId)).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await stored(tenantId))[0]?.count, 1, 'written by the timer');

    const closing = node();
    closing.record({ tenantId, orgId: tenantId, metric: 'sign_in_failure' }, 3);
    await closing.close();
    closing.record({ tenantId, orgId: tenantId, metric: 'sign_in_failure' });
    assert.equal(closing.pending, 0, 'nothing is counted after close');
    const failures = (await stored(tenantId)).find((x) => x.metric === 'sign_in_failure');
    assert.equal(failures?.count, 3);
  });

  test('ANL-1 increments add up: two nodes, overlapping flushes, counters shared across days', async () => {
    const tenantId = randomUUID();
    const [a, b] = [node(), node()];
    const envId = randomUUID();
    let expected = 0;
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 25; i++) {
        a.record({ tenantId, orgId: tenantId, environmentId: envId, metric: 'token_issued' });
        b.record({ tenantId, orgId: tenantId, environmentId: envId, metric: 'token_issued' }, 2);
        expected += 3;
      }
      // Both nodes write the same row at once, and a node's flushes overlap each other.
      await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
      if (round === 3) env.clock.advance(86_400_000); // the second half lands on the next day
    }
    const rows = await stored(tenantId);
    assert.deepEqual(
      rows.map((x) => [x.day, x.environment_id, x.count]),
      [
        ['2026-01-01', envId, expected / 2],
        ['2026-01-02', envId, expected / 2],
      ],
    );
  });

  test('ANL-1 a failed write keeps the counts for the next flush', async () => {
    const tenantId = randomUUID();
    const r = node();
    r.record({ tenantId, orgId: tenantId, metric: 'introspection' }, 5);
    await db().raw('alter table usage_daily rename to usage_daily_away');
    try {
      await assert.rejects(r.flush());
      r.record({ tenantId, orgId: tenantId, metric: 'introspection' }, 2);
      assert.equal(r.pending, 1);
    } finally {
      await db().raw('alter table usage_daily_away rename to usage_daily');
    }
    await r.flush();
    const rows = await stored(tenantId);
    assert.equal(rows[0]?.count, 7);
  });

  test('ANL-1 attribution: sign-ins to the master and the app; credentials to their node and environment', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const group = await addBusinessGroup(c, t, t.tenantId);
    const ctx = { actor: { kind: 'anonymous' as const }, requestId: `req-${randomUUID()}` };
    const attempt = { tenantId: t.tenantId, username: 'founder', ip: '192.0.2.1', clientId: 'app-x' };
    assert.equal((await c.signIn.authenticate(ctx, { ...attempt, password: PASSWORD })).ok, true);
    assert.equal((await c.signIn.authenticate(ctx, { ...attempt, password: 'wrong' })).ok, false);
    await c.usage.flush();
    assert.deepEqual(
      (await stored(t.tenantId)).map((x) => [x.org_id, x.environment_id, x.client_id, x.metric, x.count]),
      [
        [t.tenantId, null, 'app-x', 'sign_in_failure', 1],
        [t.tenantId, null, 'app-x', 'sign_in_success', 1],
      ],
    );

    // How the provider's clients are attributed (their metadata as the client store builds it).
    const [tenantId, envId] = [t.tenantId, randomUUID()];
    const creds = {
      clientId: 'c-1',
      canopy_kind: 'credentials',
      canopy_tenant_id: tenantId,
      canopy_org_id: group.id,
    };
    assert.deepEqual(usageOwner({ ...creds, canopy_environment_id: envId }), {
      tenantId,
      orgId: group.id,
      environmentId: envId,
    });
    assert.deepEqual(usageOwner(creds), { tenantId, orgId: group.id, environmentId: null });
    const app = { clientId: 'app-1', canopy_kind: 'service', canopy_tenant_id: tenantId };
    assert.deepEqual(usageOwner(app), { tenantId, orgId: tenantId, clientId: 'app-1' });
    const console = { clientId: 'canopy-console', canopy_kind: 'console' };
    assert.equal(usageOwner(console), undefined, 'no tenant without a signed-in user');
    assert.deepEqual(usageOwner(console, tenantId), {
      tenantId,
      orgId: tenantId,
      clientId: 'canopy-console',
    });
  });

  test('ANL-1 a year of data: correct sums per day, node, app and environment, read through the (tenant, day) key', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const group = await addBusinessGroup(c, t, t.tenantId);
    const child = await addBusinessGroup(c, t, group.id);
    const sibling = await addBusinessGroup(c, t, t.tenantId);
    const envId = randomUUID();
    // 366 days from 2025-01-01 (a year and a day) for this tenant's four nodes, and as much for 40 other tenants.
    const seed = (
      tenant: string,
      org: string,
      environmentId: string | null,
      clientId: string | null,
      per: number,
    ) =>
      db().raw(
        `insert into usage_daily (tenant_id, org_id, environment_id, client_id, day, metric, count)
         select ?::uuid, ?::uuid, ?::uuid, ?, d::date, m, ?
         from generate_series('2025-01-01'::date, '2026-01-01'::date, interval '1 day') d,
              unnest(array['sign_in_success', 'sign_in_failure', 'token_issued', 'introspection']) m`,
        [tenant, org, environmentId, clientId, per],
      );
    await seed(t.tenantId, t.tenantId, null, 'web-app', 1);
    await seed(t.tenantId, group.id, envId, null, 2);
    await seed(t.tenantId, child.id, null, 'svc', 3);
    await seed(t.tenantId, sibling.id, null, null, 5);
    for (let i = 0; i < 40; i++) {
      const other = randomUUID();
      await seed(other, other, null, 'noise', 7);
    }
    await db().raw('analyze usage_daily');

    const range = { from: '2025-01-01', to: '2026-01-01' };
    const whole = await c.analytics.usage(t.owner, t.tenantId, t.tenantId, range);
    assert.equal(whole.days.length, 366);
    assert.deepEqual(whole.totals, each(366 * 11));

    // A business-group viewer: their group and its child, per day, app and environment; not the sibling.
    const viewer = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: viewer.id,
      roleId: viewerRole,
      organizationId: group.id,
    });
    const asViewer = userCtx(t.tenantId, viewer.id);
    const report = await c.analytics.usage(asViewer, t.tenantId, group.id, range);
    assert.equal(report.totals.tokenIssued, 366 * 5);
    assert.deepEqual(report.days[100], { day: '2025-04-11', ...each(5) });
    assert.equal(report.rows.length, 366 * 2);
    const firstDay = report.rows
      .filter((r) => r.day === '2025-01-01')
      .map((r) => [r.orgId, r.environmentId, r.clientId, r.introspection])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    const expected = [
      [group.id, envId, null, 2],
      [child.id, null, 'svc', 3],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    assert.deepEqual(firstDay, expected);
    await rejectsWith(c.analytics.usage(asViewer, t.tenantId, t.tenantId, range), 'auth.permission_denied');
    await rejectsWith(c.analytics.usage(asViewer, t.tenantId, sibling.id, range), 'auth.permission_denied');

    // The plan reads the tenant's days from the key, not the table.
    const { sql, bindings } = createUsageRepository(db()).dailySql(t.tenantId, {
      ...range,
      orgIds: [group.id, child.id],
    });
    const plan = JSON.stringify((await db().raw(`explain (format json) ${sql}`, bindings)).rows);
    assert.match(plan, /"Index Name":\s*"usage_daily_key"/, plan);
    assert.doesNotMatch(plan, /Seq Scan/, plan);

    // At most 366 days per request.
    const tooLong = await rejectsWith(
      c.analytics.usage(t.owner, t.tenantId, t.tenantId, { from: '2025-01-01', to: '2026-01-02' }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(tooLong), ['from']);
  });
});
