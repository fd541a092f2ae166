import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { addBusinessGroup, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { backend } from '../helpers/test-database.ts';

// REL-6: every short-lived table has a housekeeping task, and one run removes what has expired or
// aged out of each — and nothing else. Rows are written as the application writes them, dated
// by the test clock, except where the database dates them itself (audit_log, nodes).

const DAY = 86_400_000;
const MINUTE = 60_000;
/** Tables that age out by a time other than an `expires_at` column. */
const AGED_TABLES = ['audit_log', 'usage_daily', 'sessions', 'nodes'];

describe(`REL-6 housekeeping tasks (${backend})`, () => {
  let env: TestEnv;
  let tenant: Tenant;
  let groupId: string;
  before(async () => {
    env = await createTestEnv();
    tenant = await signUpTenant(env.container);
    groupId = (await addBusinessGroup(env.container, tenant, tenant.tenantId)).id;
  });
  after(() => env.close());

  const knex = () => env.container.database.knex;
  const now = () => env.clock.now().getTime();
  const at = (offsetMs: number) => new Date(now() + offsetMs);

  test('REL-6 every table with an expires_at column, and every table kept for a time, has a task', async () => {
    const { rows } = await knex().raw(
      `select table_name from information_schema.columns
        where table_schema = current_schema() and column_name = 'expires_at' order by table_name`,
    );
    const expiring = [...rows.map((r: { table_name: string }) => r.table_name), ...AGED_TABLES];
    const covered = new Set(env.container.housekeeping.tasks().flatMap((t) => t.tables));
    const missing = expiring.filter((table) => !covered.has(table));
    assert.deepEqual(missing, [], `tables without a housekeeping task: ${missing.join(', ')}`);
    const { rows: tables } = await knex().raw(
      `select table_name from information_schema.tables where table_schema = current_schema()`,
    );
    const existing = new Set(tables.map((r: { table_name: string }) => r.table_name));
    for (const table of covered)
      assert.ok(existing.has(table), `a task names ${table}, which does not exist`);
  });

  /** One row that is due and one that is not, per table; the ids to look for afterwards. */
  async function seed() {
    const { auditDays, usageDays } = env.container.config.retention;
    const tag = randomUUID();
    const key = (what: string) => `${what}-${tag}`;
    const userId = tenant.user.id;
    for (const [id, expires] of [
      [key('gone'), at(-1)],
      [key('kept'), at(MINUTE)],
    ] as const) {
      await knex()('oidc_models').insert({ model: 'AccessToken', id, payload: '{}', expires_at: expires });
      await knex()('federation_flows').insert({ kind: 'oidc', id, payload: '{}', expires_at: expires });
      await knex()('saml_cache').insert({ key: id, value: 'x', expires_at: expires });
      await knex()('sign_in_attempts').insert({ key: id, points: 1, expires_at: expires });
      await knex()('account_tokens').insert({
        token_hash: id,
        tenant_id: tenant.tenantId,
        user_id: userId,
        purpose: 'password_reset',
        expires_at: expires,
        created_at: at(-MINUTE),
      });
    }
    // Idle for longer than any tenant's timeout (180 minutes), and in use.
    for (const [uid, seen] of [
      [key('gone'), at(-181 * MINUTE)],
      [key('kept'), at(-MINUTE)],
    ] as const) {
      await knex()('sessions').insert({
        session_uid: uid,
        session_id: uid,
        tenant_id: tenant.tenantId,
        user_id: userId,
        login_at: seen,
        last_seen_at: seen,
      });
    }
    // A node that stopped without saying so, and one still refreshing its row (database time).
    for (const [name, age] of [
      ['gone', '4 minutes'],
      ['kept', '10 seconds'],
    ] as const) {
      await knex()('nodes').insert({
        id: randomUUID(),
        label: key(name),
        sealing_key_id: 'k',
        key_ids: 'k',
        seen_at: knex().raw(`now() - cast(? as interval)`, [age]),
      });
    }
    const audit = {
      gone: await recordedDaysAgo(auditDays + 1, key('gone')),
      kept: await recordedDaysAgo(auditDays - 1, key('kept')),
    };
    for (const [name, daysAgo] of [
      ['gone', usageDays + 1],
      ['kept', usageDays],
    ] as const) {
      await knex()('usage_daily').insert({
        tenant_id: tenant.tenantId,
        org_id: groupId,
        client_id: key(name),
        day: at(-daysAgo * DAY)
          .toISOString()
          .slice(0, 10),
        metric: 'token_issued',
        count: 1,
      });
    }
    // Finished for longer than the audit log keeps its entries, and expired lately (kept a while).
    for (const [name, changed] of [
      ['gone', at(-(auditDays + 10) * DAY)],
      ['kept', at(-10 * DAY)],
    ] as const) {
      await knex()('invitations').insert({
        id: randomUUID(),
        tenant_id: tenant.tenantId,
        org_id: groupId,
        email: `${key(name)}@example.test`,
        token_hash: randomUUID().replaceAll('-', '').repeat(2),
        status: name === 'gone' ? 'cancelled' : 'pending',
        expires_at: new Date(changed.getTime() + 7 * DAY),
        inviter_type: 'operator',
        inviter_id: 'test',
        created_at: changed,
        updated_at: changed,
      });
    }
    return { key, audit };
  }

  /**
   * An audit entry the database recorded `days` days (and `hours` hours) ago by its own clock: what only the table's
   * owner can write (as in audit-append-only.test.ts), standing in for an entry written long ago.
   */
  async function recordedDaysAgo(days: number, action: string, hours = 0): Promise<number> {
    return knex().transaction(async (tx) => {
      await tx.raw('alter table audit_log disable trigger audit_log_recorded_at');
      const [row] = await tx('audit_log')
        .insert({
          occurred_at: tx.raw('now()'),
          recorded_at: tx.raw('now() - make_interval(days => ?, hours => ?)', [days, hours]),
          actor_type: 'system',
          actor_id: 'test',
          action: action.slice(0, 64),
        })
        .returning('id');
      await tx.raw('alter table audit_log enable always trigger audit_log_recorded_at');
      return Number(row.id);
    });
  }

  test('REL-6 one run removes what is due from every table, keeps the rest, and every task reports', async () => {
    const { key, audit } = await seed();
    const report = await env.container.housekeeping.runOnce();
    assert.equal(report.skipped, false);
    assert.deepEqual(report.failed, {});
    for (const task of env.container.housekeeping.tasks()) {
      assert.ok(
        (report.removed[task.name] ?? 0) >= 1,
        `${task.name} removed nothing: ${JSON.stringify(report)}`,
      );
    }
    const left = async (table: string, column: string, values: Array<string | number>) =>
      ((await knex()(table).whereIn(column, values).pluck(column)) as Array<string | number>).sort();
    const both = [key('gone'), key('kept')];
    for (const [table, column] of [
      ['oidc_models', 'id'],
      ['federation_flows', 'id'],
      ['saml_cache', 'key'],
      ['sign_in_attempts', 'key'],
      ['account_tokens', 'token_hash'],
      ['sessions', 'session_uid'],
      ['nodes', 'label'],
      ['usage_daily', 'client_id'],
    ] as const) {
      assert.deepEqual(await left(table, column, both), [key('kept')], table);
    }
    assert.deepEqual(await left('audit_log', 'id', [audit.gone, audit.kept]), [audit.kept], 'audit_log');
    const emails = both.map((k) => `${k}@example.test`);
    assert.deepEqual(
      await left('invitations', 'email', emails),
      [`${key('kept')}@example.test`],
      'invitations',
    );

    const again = await env.container.housekeeping.runOnce();
    assert.deepEqual(
      Object.values(again.removed).filter((n) => n > 0),
      [],
      'a second run finds nothing left to remove',
    );
  });

  test('REL-6 retention: audit entries and daily usage older than the configured days go, newer stay', async () => {
    const { auditDays, usageDays } = env.container.config.retention;
    assert.equal(auditDays, 400, 'default audit retention');
    assert.equal(usageDays, 400, 'default usage retention');
    const ids = {
      older: await recordedDaysAgo(auditDays, 'test.retention.older', 1),
      younger: await recordedDaysAgo(auditDays - 1, 'test.retention.younger'),
      fresh: await recordedDaysAgo(0, 'test.retention.fresh'),
    };
    const day = (daysAgo: number) =>
      at(-daysAgo * DAY)
        .toISOString()
        .slice(0, 10);
    const usage = [usageDays + 30, usageDays + 1, usageDays, 0].map((daysAgo) => ({
      tenant_id: tenant.tenantId,
      org_id: tenant.tenantId,
      client_id: `retention-${daysAgo}`,
      day: day(daysAgo),
      metric: 'sign_in_success',
      count: 3,
    }));
    await knex()('usage_daily').insert(usage);

    const report = await env.container.housekeeping.runOnce();
    assert.equal(report.removed['audit-retention'], 1);
    assert.equal(report.removed['usage-retention'], 2);
    const audit = await knex()('audit_log').whereIn('id', Object.values(ids)).pluck('id');
    assert.deepEqual(audit.map(Number).sort(), [ids.younger, ids.fresh].sort());
    const days = await knex()('usage_daily')
      .where({ tenant_id: tenant.tenantId, org_id: tenant.tenantId })
      .whereLike('client_id', 'retention-%')
      .pluck('client_id');
    assert.deepEqual(days.sort(), ['retention-0', `retention-${usageDays}`]);
  });
});
