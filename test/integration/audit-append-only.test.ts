import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { migrationSource } from '../../migrations/index.ts';
import { sweepOlderThan } from '../../src/modules/audit/audit.repository.ts';
import { operator } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { backend } from '../helpers/test-database.ts';

// SEC-12: the audit log is append-only in the database itself. The statements below run on the
// application's own connection, as any code path of Canopy's would.

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const APPEND_ONLY = /the audit log is append-only/;
const TRIGGERS = ['audit_log_no_truncate', 'audit_log_no_update_delete', 'audit_log_recorded_at'];

describe(`audit log: append-only in the database (${backend})`, () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const knex = () => env.container.database.knex;
  /** An entry written through the service, at `at` by the test clock; its id. */
  async function entryAt(at: Date, action = `test.${randomUUID()}`): Promise<number> {
    env.clock.set(at);
    await env.container.audit.recordNow(operator(), { tenantId: null, action, after: { n: 1 } });
    return (await knex()('audit_log').where({ action }).first('id')).id;
  }
  /**
   * An entry the database recorded at `at`: what only the table's owner can write (SECURITY.md),
   * standing in here for an entry written long ago. The insert trigger is off for this one insert,
   * inside the transaction, and back on (ALWAYS) before anyone else can see it.
   */
  async function recordedAt(at: Date, action = `test.${randomUUID()}`): Promise<number> {
    return knex().transaction(async (tx) => {
      await tx.raw('alter table audit_log disable trigger audit_log_recorded_at');
      const [row] = await tx('audit_log')
        .insert({ occurred_at: at, recorded_at: at, actor_type: 'operator', actor_id: 'test', action })
        .returning('id');
      await tx.raw('alter table audit_log enable always trigger audit_log_recorded_at');
      return Number(row.id);
    });
  }
  /** Runs `act` in a transaction that is always rolled back; what `act` threw, if anything. */
  async function failureOf(act: (tx: Knex.Transaction) => Promise<unknown>): Promise<Error | undefined> {
    const rollback = new Error('rollback');
    const failure = await knex()
      .transaction(async (tx) => {
        await act(tx);
        throw rollback;
      })
      .then(
        () => undefined,
        (err: Error) => err,
      );
    return failure === rollback ? undefined : failure;
  }
  const recordedAtOf = async (id: number): Promise<Date> =>
    (await knex()('audit_log').where({ id }).first('recorded_at')).recorded_at;
  const ids = async () => (await knex()('audit_log').orderBy('id').pluck('id')).map(Number);
  const snapshot = async () => JSON.stringify(await knex()('audit_log').orderBy('id').select('*'));

  test('SEC-12 UPDATE, DELETE and TRUNCATE on the audit table are refused by the database', async () => {
    const id = await entryAt(new Date('2024-01-01T00:00:00Z'));
    const before = await snapshot();
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['update', () => knex()('audit_log').where({ id }).update({ action: 'tampered' })],
      ['update every row', () => knex().raw(`update audit_log set after = null`)],
      ['delete', () => knex()('audit_log').where({ id }).del()],
      ['delete every row', () => knex().raw('delete from audit_log')],
      ['truncate', () => knex().raw('truncate audit_log')],
      [
        'update in a transaction',
        () => knex().transaction((tx) => tx('audit_log').update({ outcome: 'failure' })),
      ],
    ];
    for (const [what, attempt] of attempts) {
      await assert.rejects(attempt(), APPEND_ONLY, what);
    }
    assert.equal(await snapshot(), before, 'nothing changed');
  });

  test('SEC-12 the retention sweep deletes only entries recorded before its cut-off', async () => {
    const old = await recordedAt(new Date('2023-01-01T00:00:00Z'));
    const older = await recordedAt(new Date('2022-06-01T00:00:00Z'));
    const cutOff = new Date('2023-06-01T00:00:00Z');
    const kept = await recordedAt(cutOff); // exactly at the cut-off: not older, kept
    const newer = await recordedAt(new Date('2023-09-01T00:00:00Z'));
    const expected = (await ids()).filter((id) => id !== old && id !== older);
    const rows = await knex()('audit_log').where('recorded_at', '<', cutOff).count('* as n');
    assert.equal(await env.container.audit.sweep(cutOff), Number(rows[0]!.n));
    assert.deepEqual(await ids(), expected);
    assert.ok(expected.includes(kept) && expected.includes(newer));
    // The sweep's setting ends with its transaction: a plain DELETE afterwards is refused again.
    await assert.rejects(knex()('audit_log').where({ id: newer }).del(), APPEND_ONLY);
  });

  test('SEC-12 the sweep refuses a cut-off less than a day old, and its path deletes nothing newer than the cut-off', async () => {
    const recent = await entryAt(new Date(Date.now() - 2 * 3_600_000));
    const before = await snapshot();
    for (const cutOff of [new Date(Date.now() - DAY + 60_000), new Date(), new Date(Date.now() + DAY)]) {
      await assert.rejects(env.container.audit.sweep(cutOff), /at least a day in the past/);
    }
    assert.equal(await snapshot(), before, 'a refused sweep deletes nothing');
    // The same path by hand, a day back, on a statement that also reaches newer rows: all or nothing.
    const cutOff = new Date(Date.now() - 2 * DAY);
    await entryAt(new Date('2021-01-01T00:00:00Z'));
    const withOld = await snapshot();
    await assert.rejects(
      knex().transaction(async (tx) => {
        await tx.raw(`select set_config('canopy.audit_sweep_before', ?, true)`, [cutOff.toISOString()]);
        await tx('audit_log').del();
      }),
      /deletes only entries recorded before its cut-off/,
    );
    assert.equal(await snapshot(), withOld, 'the whole statement failed');
    assert.ok((await ids()).includes(recent));
  });

  test('SEC-12 session_replication_role = replica does not switch the triggers off', async () => {
    const id = await entryAt(new Date('2024-02-01T00:00:00Z'));
    const old = await recordedAt(new Date('2020-01-01T00:00:00Z'));
    const before = await snapshot();
    const [{ rolsuper }] = (await knex().raw('select rolsuper from pg_roles where rolname = current_user'))
      .rows;
    const attempts: Array<[string, (tx: Knex.Transaction) => Promise<unknown>]> = [
      ['update', (tx) => tx('audit_log').where({ id }).update({ action: 'tampered' })],
      ['delete', (tx) => tx('audit_log').where({ id }).del()],
      ['delete an old entry', (tx) => tx('audit_log').where({ id: old }).del()],
      ['truncate', (tx) => tx.raw('truncate audit_log')],
    ];
    for (const scope of ['session', 'local']) {
      for (const [what, attempt] of attempts) {
        const failure = await failureOf(async (tx) => {
          await tx.raw(`set ${scope} session_replication_role = replica`);
          await attempt(tx);
        });
        // Only a superuser may set it (the application is one on the embedded database).
        const refused = rolsuper ? APPEND_ONLY : /permission denied/;
        assert.match(failure?.message ?? 'it succeeded', refused, `${what} (set ${scope})`);
      }
    }
    assert.equal(await snapshot(), before, 'nothing changed');
    const { rows } = await knex().raw(
      'select tgname, tgenabled from pg_trigger where tgrelid = ?::regclass and not tgisinternal order by tgname',
      ['audit_log'],
    );
    assert.deepEqual(
      rows.map((r: { tgname: string; tgenabled: string }) => [r.tgname, r.tgenabled]),
      TRIGGERS.map((name) => [name, 'A']),
      'every trigger of the audit table fires always',
    );
  });

  test('SEC-12 age is when the database recorded an entry: an entry written with an old time is not swept', async () => {
    const twoYearsAgo = new Date(Date.now() - 2 * YEAR);
    const justNow = new Date(Date.now() - 60_000);
    const id = await entryAt(twoYearsAgo);
    const stored = await knex()('audit_log').where({ id }).first('occurred_at', 'recorded_at');
    assert.equal(stored.occurred_at.getTime(), twoYearsAgo.getTime(), 'occurred_at is what was written');
    assert.ok(stored.recorded_at >= justNow, 'recorded_at is the moment of the insert');
    // Naming recorded_at changes nothing, not even with the triggers "off" for replication.
    const forged = `test.${randomUUID()}`;
    const failure = await failureOf(async (tx) => {
      await tx.raw('set local session_replication_role = replica');
      await tx('audit_log').insert({
        occurred_at: twoYearsAgo,
        recorded_at: twoYearsAgo,
        actor_type: 'operator',
        action: forged,
      });
      const [row] = await tx('audit_log').where({ action: forged }).pluck('recorded_at');
      assert.ok(row >= justNow, `recorded_at forged: ${row.toISOString()}`);
    });
    assert.equal(failure, undefined, failure?.message);

    const cutOff = new Date(Date.now() - YEAR);
    const due = Number((await knex()('audit_log').where('recorded_at', '<', cutOff).count('* as n'))[0]!.n);
    assert.equal(await env.container.audit.sweep(cutOff), due);
    assert.ok((await ids()).includes(id), 'recorded just now: kept a year and more');
    // The sweep's path by hand, aimed at the entry alone: refused too.
    await assert.rejects(
      knex().transaction(async (tx) => {
        await tx.raw(`select set_config('canopy.audit_sweep_before', ?, true)`, [cutOff.toISOString()]);
        await tx('audit_log').where({ id }).del();
      }),
      /deletes only entries recorded before its cut-off/,
    );
    assert.ok((await ids()).includes(id));
  });

  test("SEC-12 the sweep runs in a transaction of its own: inside a caller's, it is refused and opens nothing", async () => {
    const old = await recordedAt(new Date(Date.now() - 3 * YEAR));
    const cutOff = new Date(Date.now() - YEAR);
    const before = await snapshot();
    const failure = await failureOf(async (tx) => {
      await assert.rejects(
        // @ts-expect-error the type refuses a transaction too
        sweepOlderThan(tx, cutOff),
        /runs in a transaction of its own/,
      );
      const setting = (await tx.raw(`select current_setting('canopy.audit_sweep_before', true) as s`)).rows[0]
        .s;
      assert.ok(!setting, `the sweep's setting is open in the caller's transaction: ${setting}`);
      await tx('audit_log').where({ id: old }).del();
    });
    assert.match(failure?.message ?? 'the DELETE succeeded', APPEND_ONLY);
    assert.equal(await snapshot(), before, 'nothing deleted');
    // The sweep on its own transaction deletes the entry, and leaves nothing open behind it.
    assert.ok((await env.container.audit.sweep(cutOff)) >= 1);
    assert.ok(!(await ids()).includes(old));
    const setting = (await knex().raw(`select current_setting('canopy.audit_sweep_before', true) as s`))
      .rows[0].s;
    assert.ok(!setting, `left set: ${setting}`);
  });

  test('SEC-12 the migration fills in recorded_at of earlier entries from occurred_at, and goes down and up again', async () => {
    const name = '20261207000100_audit_append_only';
    // The last test of the file: the database is left as the migrations leave it.
    await knex().migrate.down({ migrationSource, name });
    const id = await entryAt(new Date('2021-03-04T05:06:07Z'));
    const { rows } = await knex().raw(
      `select count(*)::int as n from information_schema.columns
        where table_schema = current_schema() and table_name = 'audit_log' and column_name = 'recorded_at'`,
    );
    assert.equal(rows[0].n, 0, 'down drops the column');
    await knex()('audit_log').where({ id }).update({ outcome: 'failure' }); // no trigger down there
    await knex().migrate.up({ migrationSource, name });
    assert.equal((await recordedAtOf(id)).toISOString(), '2021-03-04T05:06:07.000Z');
    await assert.rejects(knex()('audit_log').where({ id }).update({ outcome: 'success' }), APPEND_ONLY);
    const recent = await entryAt(new Date('2021-03-04T05:06:07Z'));
    assert.ok(
      (await recordedAtOf(recent)).getTime() > Date.now() - 60_000,
      'new entries: the insert trigger',
    );
  });
});
