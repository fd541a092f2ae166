// The report's section on keeping the index current after a change: what each way of reaching the
// next version costs, split into its SQL load and its in-memory part, and whether the derived
// indexes answer as a full rebuild does.
import { formatCount, formatRatio, percentile, table } from '../stats.ts';
import { UPDATE_RUNS } from './parameters.ts';
import type { ChangeCheck } from './update-check.ts';
import type { UpdateRuns, UpdateTimings } from './update-timing.ts';

/** Milliseconds, always in ms so the rows compare at a glance, to three significant digits. */
function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return `${formatCount(value)} ms`;
  return `${value.toPrecision(3)} ms`;
}

interface Figures {
  best: number;
  median: number;
}

function figures(samples: readonly number[]): Figures {
  const sorted = Float64Array.from(samples).sort();
  return { best: sorted[0] ?? Number.NaN, median: percentile(sorted, 50) };
}

/** Load, in-memory part and their sum per run, each summarized over the runs. */
function parts(runs: UpdateRuns): { load: Figures; build: Figures; total: Figures } {
  return {
    load: figures(runs.load),
    build: figures(runs.build),
    total: figures(runs.load.map((load, i) => load + runs.build[i]!)),
  };
}

export function printUpdates(timings: UpdateTimings, checks: readonly ChangeCheck[]): void {
  const full = parts(timings.full);
  const users = parts(timings.users);
  const tree = parts(timings.tree);
  console.log('\n## Keeping the index current after a change\n');
  console.log(
    'authorizer.change() derives the next index from the previous one by reloading only what the change ' +
      "touched; role permission changes and environment deletions still drop the tenant's index, and the " +
      `next use reloads it in full. Each way timed ${UPDATE_RUNS} times, the three interleaved, each step ` +
      'after a forced GC and a 100 ms pause. The in-memory part is synchronous: it blocks the event loop for its whole duration.',
  );
  console.log(
    `user-scoped: ${timings.users.user}, the one holding the most assignments ` +
      `(${formatCount(timings.users.assignments)} assignment rows and ${timings.users.roles} role masks read); ` +
      `tree-scoped: ${formatCount(timings.tree.nodes)} nodes and ${formatCount(timings.tree.environments)} ` +
      'environments read.\n',
  );
  const row = (update: string, part: string, f: Figures, base: Figures): string[] => [
    update,
    part,
    ms(f.best),
    ms(f.median),
    f === base ? '' : formatRatio(base.best / f.best),
    f === base ? '' : formatRatio(base.median / f.median),
  ];
  console.log(
    table(
      [
        'update',
        'part',
        `best of ${UPDATE_RUNS}`,
        `median of ${UPDATE_RUNS}`,
        'full / this (best)',
        'full / this (median)',
      ],
      [
        row('full reload', 'snapshots.load (SQL)', full.load, full.load),
        row('full reload', 'new TenantIndex (in memory)', full.build, full.build),
        row('full reload', 'total', full.total, full.total),
        row('user-scoped (1 user)', 'snapshots.loadUsers (SQL)', users.load, full.load),
        row('user-scoped (1 user)', 'index.withUsers (in memory)', users.build, full.build),
        row('user-scoped (1 user)', 'total', users.total, full.total),
        row('tree-scoped', 'snapshots.loadTree (SQL)', tree.load, full.load),
        row('tree-scoped', 'index.withTree (in memory)', tree.build, full.build),
        row('tree-scoped', 'total', tree.total, full.total),
      ],
    ),
  );
  console.log(
    `\nall runs (SQL + in memory, ms): full ${runsOf(timings.full)}; user-scoped ${runsOf(timings.users)}; ` +
      `tree-scoped ${runsOf(timings.tree)}`,
  );

  console.log('\n### A derived index against a full rebuild\n');
  console.log(
    'One row inserted straight into SQL for each kind of change; the previous index is brought forward with ' +
      'the method authorizer.change() uses, and its answers are compared with new TenantIndex(snapshots.load()). ' +
      '"Changed" counts sampled answers where the previous index and the rebuild differ: the sample sees the change.\n',
  );
  console.log(
    table(
      ['change', 'derived with', 'compared', 'changed by the row', 'differences'],
      checks.map((c) => [
        c.change,
        `index.${c.derivedWith}`,
        `${formatCount(c.queries)} can() + visibleNodes() of ${formatCount(c.visibleUsers)} users`,
        `${plural(c.changedAnswers, 'answer')}, ${plural(c.changedTrees, 'visible tree')}`,
        c.problems.length === 0 ? 'none' : `${formatCount(c.problems.length)} DIFFERENCES`,
      ]),
    ),
  );
  for (const line of checks.flatMap((c) => c.problems).slice(0, 20)) console.log(`  ${line}`);
}

function runsOf(runs: UpdateRuns): string {
  return runs.load.map((load, i) => `${load.toFixed(1)}+${runs.build[i]!.toFixed(1)}`).join(', ');
}

function plural(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}
