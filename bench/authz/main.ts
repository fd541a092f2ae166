// `npm run bench -- authz`: the in-memory authorizer (ARCHITECTURE §4) on one large tenant, against
// the same questions answered by recursive SQL in the same run, with every SQL answer checked
// against the index; then what it costs to keep the index current after a change.
import type { Knex } from 'knex';
// The benchmark measures the snapshot repository itself, so it imports it by path.
import { createSnapshotRepository } from '../../src/modules/roles/directory/snapshot.repository.ts';
import { BUILT_IN_ROLES, syncBuiltInRoles } from '../../src/modules/roles/index.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { formatMs, machine, seededRandom, timed } from '../stats.ts';
import { openBenchDatabase } from './database.ts';
import { buildDataset, busiestUser } from './dataset.ts';
import { measureChecks, measureIndexHeap, measureVisible, timeIndexBuilds } from './measure.ts';
import { CHECK_QUERIES, SEED } from './parameters.ts';
import { buildQueries } from './queries.ts';
import {
  printBaseline,
  printChecks,
  printComparison,
  printHeader,
  printIndexBuild,
  printSetup,
  printVerdict,
  printVisible,
} from './report.ts';
import { seed } from './seed.ts';
import { compareVisible, measureSqlChecks, measureSqlVisible } from './sql-baseline.ts';
import { checkUpdates } from './update-check.ts';
import { printUpdates } from './update-report.ts';
import { timeUpdates } from './update-timing.ts';

async function serverVersion(knex: Knex): Promise<string> {
  const result = await knex.raw('show server_version');
  return (result.rows as Array<{ server_version: string }>)[0]!.server_version;
}

export async function run(_args: string[]): Promise<void> {
  const started = performance.now();
  const m = machine();
  const { db, label } = await openBenchDatabase();
  const knex = db.knex;
  try {
    printHeader(m, label, await serverVersion(knex));

    // 1. Schema and data.
    const setup: Array<[string, string, number]> = [];
    setup.push(['migrate', '', (await timed(() => migrateToLatest(knex))).ms]);
    const synced = await timed(() => syncBuiltInRoles(knex, new Date()));
    setup.push(['sync built-in roles', String(BUILT_IN_ROLES.length), synced.ms]);
    const generated = await timed(async () => buildDataset(seededRandom(SEED)));
    const data = generated.result;
    setup.push(['generate data set (JavaScript)', '', generated.ms]);
    setup.push(...(await seed(knex, data)));
    printSetup(setup, data);

    // 2. Index build.
    const snapshots = createSnapshotRepository(knex);
    const { loads, builds } = await timeIndexBuilds(snapshots, data.tenantId);
    const { index, indexBytes, snapshotBytes } = await measureIndexHeap(snapshots, data.tenantId);
    printIndexBuild(loads, builds, indexBytes, snapshotBytes);

    // 3. Permission checks in memory.
    const q = buildQueries(seededRandom(SEED + 2), data, CHECK_QUERIES);
    const checks = measureChecks(index, q);
    printChecks(q, checks);

    // 4. The visible tree.
    const visibleUserId = data.userIds[data.visibleUser]!;
    const tree = measureVisible(index, visibleUserId);
    printVisible(tree);

    // 5. The SQL baseline, checked against the index.
    const sql = await measureSqlChecks(knex, data.tenantId, q, index);
    const sqlTree = await measureSqlVisible(knex, data.tenantId, visibleUserId);
    const treeProblems = compareVisible(tree.visible, sqlTree.first);
    printBaseline(sql, sqlTree);
    printComparison(checks, tree, sql, sqlTree);

    // 6. Keeping the index current: timed on the data set as seeded, then checked with rows added.
    const busiest = busiestUser(data);
    const busiestId = data.userIds[busiest]!;
    const updates = await timeUpdates(snapshots, index, busiestId, `user ${busiest} (${busiestId})`);
    const updateChecks = await checkUpdates(knex, snapshots, data, index, q, busiest);
    printUpdates(updates, updateChecks);

    const passed = printVerdict(
      checks,
      sql.mismatches,
      treeProblems,
      updateChecks.flatMap((c) => c.problems),
    );
    console.log(`\ntotal run time: ${formatMs(performance.now() - started)}`);
    if (!passed) process.exitCode = 1;
  } finally {
    await db.close();
  }
}
