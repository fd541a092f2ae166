// Keeping the index current after a change: the three ways authorizer.change() brings an index to
// the next version, timed apart. A full reload reads the whole tenant and builds a new index; a
// user-scoped update reads some users' assignments and derives the next index with withUsers; a
// tree-scoped update reads the org tree and environments and derives it with withTree.
import type { SnapshotRepository } from '../../src/modules/roles/directory/snapshot.repository.ts';
import type { TenantIndex } from '../../src/modules/roles/index.ts';
import { timed } from '../stats.ts';
import { collectGarbage, timeIndexBuilds } from './measure.ts';
import { UPDATE_RUNS } from './parameters.ts';

/** One way of reaching the next version: its SQL load and its in-memory part, in ms, one entry per run. */
export interface UpdateRuns {
  load: number[];
  build: number[];
}

export interface UpdateTimings {
  full: UpdateRuns;
  /** `user` names the user in the report. */
  users: UpdateRuns & { user: string; assignments: number; roles: number };
  tree: UpdateRuns & { nodes: number; environments: number };
}

/**
 * A forced collection, then a pause so that the collector's background threads (sweeping) are done
 * too: on a small machine they otherwise compete with the next step and double a short one's time.
 */
async function quiesce(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * UPDATE_RUNS rounds of: a full reload, a user-scoped update for `userId`, a tree-scoped update,
 * each from a quiet heap, so garbage left by one step is not collected inside the next. The rounds
 * are interleaved so that a change in the machine's load touches all three alike.
 */
export async function timeUpdates(
  snapshots: SnapshotRepository,
  index: TenantIndex,
  userId: string,
  user: string,
): Promise<UpdateTimings> {
  const { tenantId } = index;
  const next = index.version + 1;
  const result: UpdateTimings = {
    full: { load: [], build: [] },
    users: { load: [], build: [], user, assignments: 0, roles: 0 },
    tree: { load: [], build: [], nodes: 0, environments: 0 },
  };
  for (let run = 0; run < UPDATE_RUNS; run++) {
    await quiesce();
    const full = await timeIndexBuilds(snapshots, tenantId, 1);
    result.full.load.push(...full.loads);
    result.full.build.push(...full.builds);

    await quiesce();
    const users = await timed(() => snapshots.loadUsers(tenantId, [userId]));
    let started = performance.now();
    const withUsers = index.withUsers(next, users.result);
    result.users.build.push(performance.now() - started);
    result.users.load.push(users.ms);
    result.users.assignments = users.result.assignments.length;
    result.users.roles = users.result.roleMasks.size;
    if (withUsers.version !== next) throw new Error(`withUsers gave version ${withUsers.version}`);

    await quiesce();
    const tree = await timed(() => snapshots.loadTree(tenantId));
    started = performance.now();
    const withTree = index.withTree(next, tree.result);
    result.tree.build.push(performance.now() - started);
    result.tree.load.push(tree.ms);
    result.tree.nodes = tree.result.nodes.length;
    result.tree.environments = tree.result.environments.length;
    if (withTree.nodeCount !== index.nodeCount) throw new Error(`withTree has ${withTree.nodeCount} nodes`);
  }
  return result;
}
