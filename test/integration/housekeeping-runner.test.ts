import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type Container, createContainer } from '../../src/container.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createHousekeeping, type HousekeepingTask } from '../../src/platform/housekeeping.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { runAgainst } from '../cli/run-cli.ts';
import { createTestEnv, type TestEnv, testConfig } from '../helpers/test-container.ts';
import { backend } from '../helpers/test-database.ts';

// REL-6: one housekeeping mechanism, run by one node at a time. Two containers on one database
// stand for two nodes: on PostgreSQL each with a connection pool of its own (the advisory lock is
// what keeps them apart); the embedded database is opened by one process only and can be shared
// only as the same object (the in-process guard keeps them apart).

/** A logger whose lines the test reads. */
function capturedLogger() {
  const lines: Array<{ level: string; msg: string } & Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

/** A task that blocks until released, and says when it started. */
function gate(name = 'test-gate') {
  let release!: () => void;
  const open = new Promise<void>((resolve) => {
    release = resolve;
  });
  const entered: string[] = [];
  let onEnter: (who: string) => void = () => {};
  const firstIn = new Promise<string>((resolve) => {
    onEnter = resolve;
  });
  const taskFor = (who: string): HousekeepingTask => ({
    name,
    tables: [],
    async run() {
      entered.push(who);
      onEnter(who);
      await open;
      return 0;
    },
  });
  return { taskFor, release, entered, firstIn };
}

describe(`REL-6 housekeeping runner (${backend})`, () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  test('REL-6 a failing task is logged and does not stop the others; a run that removed something logs one summary line', async () => {
    const { logger, lines } = capturedLogger();
    const runner = createHousekeeping({ database: env.container.database, logger, intervalSeconds: 600 });
    const ran: string[] = [];
    const task = (name: string, run: () => Promise<number>): HousekeepingTask => ({
      name,
      tables: [],
      run: async () => {
        ran.push(name);
        return run();
      },
    });
    runner.register(task('first', async () => 2));
    runner.register(
      task('broken', async () => {
        throw new Error('relation "gone" does not exist');
      }),
    );
    runner.register(task('last', async () => 3));
    assert.throws(() => runner.register(task('last', async () => 0)), /exists/);

    const report = await runner.runOnce();
    assert.deepEqual(ran, ['first', 'broken', 'last']);
    assert.deepEqual(report, {
      skipped: false,
      removed: { first: 2, last: 3 },
      failed: { broken: 'relation "gone" does not exist' },
    });
    const warned = lines.filter((l) => l.level === 'warn');
    assert.deepEqual(
      warned.map((l) => [l.msg, l.task]),
      [['housekeeping task failed', 'broken']],
    );
    const summaries = lines.filter((l) => l.level === 'info');
    assert.equal(summaries.length, 1);
    assert.deepEqual(summaries[0]!.removed, { first: 2, last: 3 });
    assert.equal(summaries[0]!.total, 5);

    lines.length = 0;
    const quiet = createHousekeeping({ database: env.container.database, logger, intervalSeconds: 600 });
    quiet.register(task('nothing', async () => 0));
    await quiet.runOnce();
    assert.deepEqual(lines, [], 'a run that removed nothing logs nothing');
  });

  test('REL-6 started, it runs on its own; stopping waits for the run in progress', async () => {
    const { logger } = capturedLogger();
    const runner = createHousekeeping({ database: env.container.database, logger, intervalSeconds: 0.001 });
    const { taskFor, release, firstIn } = gate();
    runner.register(taskFor('timer'));
    runner.start();
    await firstIn; // the timer started a run, which is now held by the gate
    let stopped = false;
    const stopping = runner.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, 'stop waits for the run in progress');
    release();
    await stopping;
    assert.equal(stopped, true);
  });

  test('REL-6 of two nodes running at once, exactly one does the work; the other reports it skipped', async () => {
    const shared: Database = {
      knex: env.container.database.knex,
      kind: env.container.database.kind,
      close: async () => {},
    };
    let second: Database = shared;
    if (backend === 'postgres') {
      const { rows } = await shared.knex.raw('select current_schema() as schema');
      second = await openDatabase({
        databaseUrl: process.env.DATABASE_URL!,
        dataDir: '',
        poolMax: 2,
        searchPath: rows[0].schema,
      });
    }
    const config = testConfig({ storage: { redisUrl: null } });
    let other: Container | undefined;
    try {
      other = await createContainer(config, {
        database: second,
        clock: env.clock,
        logger: createLogger('warn'),
      });
      const nodes = { a: env.container, b: other };
      const { taskFor, release, entered, firstIn } = gate();
      nodes.a.housekeeping.register(taskFor('a'));
      nodes.b.housekeeping.register(taskFor('b'));

      const runs = { a: nodes.a.housekeeping.runOnce(), b: nodes.b.housekeeping.runOnce() };
      const first = (await firstIn) as 'a' | 'b';
      const loser = first === 'a' ? 'b' : 'a';
      // While the first holds the lock (its gate task waits), the other's run must come back
      // skipped; were it to work too, it would enter the gate instead.
      const bothIn = new Promise<'both'>((resolve) => {
        const check = setInterval(() => {
          if (entered.length > 1) {
            clearInterval(check);
            resolve('both');
          }
        }, 5);
        void runs[loser].finally(() => clearInterval(check));
      });
      const outcome = await Promise.race([runs[loser], bothIn]);
      release();
      assert.notEqual(outcome, 'both', 'both nodes ran housekeeping at once');
      assert.deepEqual(outcome, { skipped: true, removed: {}, failed: {} });
      const winner = await runs[first];
      assert.equal(winner.skipped, false);
      assert.ok('test-gate' in winner.removed && 'oidc-artefacts' in winner.removed);
      assert.deepEqual(entered, [first]);

      // Once the run is over the lock is free: the other node's next run works.
      const next = await nodes[loser].housekeeping.runOnce();
      assert.equal(next.skipped, false);
      assert.deepEqual(entered, [first, loser]);
    } finally {
      await other?.close();
      if (second !== shared) await second.close().catch(() => {});
    }
  });

  test('REL-6 canopy housekeeping run: each task and what it removed', async () => {
    const fresh = await createTestEnv();
    try {
      const r = await runAgainst(fresh.container, ['housekeeping', 'run']);
      assert.equal(r.code, 0, r.err);
      const lines = r.out.trimEnd().split('\n');
      assert.match(lines[0]!, /^TASK\s+TABLES\s+REMOVED$/);
      for (const task of fresh.container.housekeeping.tasks()) {
        assert.ok(
          lines.some((l) => l.startsWith(`${task.name} `) && new RegExp(`${task.tables[0]}.*\\d+$`).test(l)),
          `no line for ${task.name}:\n${r.out}`,
        );
      }
      const json = await runAgainst(fresh.container, ['housekeeping', 'run', '--json']);
      assert.equal(json.code, 0, json.err);
      assert.equal(JSON.parse(json.out).skipped, false);

      fresh.container.housekeeping.register({
        name: 'broken',
        tables: ['nowhere'],
        run: async () => {
          throw new Error('boom');
        },
      });
      const failed = await runAgainst(fresh.container, ['housekeeping', 'run']);
      assert.equal(failed.code, 1);
      assert.match(failed.out, /^broken\s+nowhere\s+failed: boom$/m);
      assert.match(failed.err, /housekeeping: broken failed/);
    } finally {
      await fresh.close();
    }
  });
});
