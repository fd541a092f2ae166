// The directory benchmark's printed report: one function per section, in the order main.ts runs them.
// Output is markdown, padded so it also reads well in a terminal.
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import {
  formatBytes,
  formatCount,
  formatMs,
  formatNs,
  formatRatio,
  type machine,
  type Summary,
  table,
} from '../stats.ts';
import { type Dataset, describeDataset } from './dataset.ts';
import type { CheckMeasurement, VisibleMeasurement } from './measure.ts';
import {
  ASSIGNMENTS,
  BATCH,
  BUSINESS_GROUPS,
  CHECK_QUERIES,
  CUSTOM_ROLES,
  FAN_OUT,
  SEED,
  SQL_CHECKS,
  SQL_WARMUP,
  TARGET_CHECK_P99_NS,
  THROUGHPUT_PASSES,
  USERS,
  VISIBLE_USER_INHERITING,
  VISIBLE_USER_NODES,
  WARMUP_CHECKS,
} from './parameters.ts';
import { describeQueries, type Queries } from './queries.ts';
import type { SqlCheckMeasurement, SqlVisibleMeasurement } from './sql-baseline.ts';

export const LATENCY_HEADER = ['method', 'samples', 'p50', 'p90', 'p99', 'max'];

export function latencyRow(label: string, s: Summary): string[] {
  return [label, formatCount(s.count), formatNs(s.p50), formatNs(s.p90), formatNs(s.p99), formatNs(s.max)];
}

export function printHeader(m: ReturnType<typeof machine>, label: string, serverVersion: string): void {
  console.log('# canopy bench: authz\n');
  console.log(
    `machine:  ${m.cpus} CPUs, ${m.cpuModel}, ${m.ram} RAM, Node ${m.node}; load average ${m.load} ` +
      '(other work on the machine skews every figure)',
  );
  console.log(`database: ${label}, server version ${serverVersion}`);
  console.log(
    `data set: seed ${SEED}; 1 master + ${formatCount(BUSINESS_GROUPS)} business groups (fan-out ${FAN_OUT}), ` +
      `${formatCount(USERS)} users, ${formatCount(ASSIGNMENTS)} role assignments, ` +
      `${BUILT_IN_ROLES.length} built-in + ${CUSTOM_ROLES} custom roles`,
  );
  console.log(
    `heap:     ${globalThis.gc ? 'figures after forced GC (--expose-gc)' : 'no --expose-gc: rough'}\n`,
  );
}

export function printSetup(setup: ReadonlyArray<[string, string, number]>, data: Dataset): void {
  console.log('## Setup\n');
  console.log(
    table(
      ['phase', 'rows', 'time'],
      setup.map(([phase, rows, ms]) => [phase, rows, formatMs(ms)]),
    ),
  );
  console.log(`\n${describeDataset(data)}\n`);
}

export function printIndexBuild(
  loads: readonly number[],
  builds: readonly number[],
  indexBytes: number,
  snapshotBytes: number,
): void {
  console.log('## Index build\n');
  console.log(
    table(
      ['step', 'best of 3', 'all runs'],
      [
        [
          'snapshot load (5 queries, repeatable read)',
          formatMs(Math.min(...loads)),
          loads.map(formatMs).join(', '),
        ],
        ['new TenantIndex(snapshot)', formatMs(Math.min(...builds)), builds.map(formatMs).join(', ')],
        ['heap retained by the index', formatBytes(indexBytes), 'heapUsed after GC, snapshot dropped'],
        ['heap of the snapshot (transient)', formatBytes(snapshotBytes), 'heapUsed after GC'],
      ],
    ),
  );
}

export function printChecks(q: Queries, checks: CheckMeasurement): void {
  console.log('\n## Permission checks: index.can(user, permission, node, environment?)\n');
  console.log(`${describeQueries(q, checks.allowed)}\n`);
  console.log(
    table(LATENCY_HEADER, [
      latencyRow(`mean per call over batches of ${BATCH}`, checks.batches),
      latencyRow(`single call (incl. ~${formatNs(checks.timer)} timer read)`, checks.singles),
    ]),
  );
  console.log(
    `\nthroughput: ${formatCount(checks.throughput)} checks/s on one core ` +
      `(one untimed loop over all ${formatCount(CHECK_QUERIES)} queries, median of ${THROUGHPUT_PASSES}: ` +
      `${checks.passes.map(formatNs).join(', ')}; ${formatNs(checks.medianPass / CHECK_QUERIES)} per call)`,
  );
  console.log(
    `method: after a warm-up of ${formatCount(WARMUP_CHECKS)} calls, (a) each sample is one hrtime.bigint() ` +
      `pair around ${BATCH} consecutive calls divided by ${BATCH}: almost no timer overhead, but outliers ` +
      'are averaged away; (b) each sample is one call between two hrtime.bigint() reads: it includes the ' +
      'timer cost, so it is an upper bound. The target and the ratios use (b).',
  );
}

export function printVisible(tree: VisibleMeasurement): void {
  const members = tree.visible.filter((n) => n.access === 'member').length;
  console.log('\n## Visible tree: index.visibleNodes(user)\n');
  console.log(
    `user with one role in each of ${VISIBLE_USER_NODES} nodes (${VISIBLE_USER_INHERITING} of them ` +
      `inheriting): ${formatCount(tree.visible.length)} nodes returned (${formatCount(members)} member, ` +
      `${formatCount(tree.visible.length - members)} ancestor-only)\n`,
  );
  console.log(table(LATENCY_HEADER, [latencyRow('each call timed', tree.stats)]));
}

export function printBaseline(sql: SqlCheckMeasurement, sqlTree: SqlVisibleMeasurement): void {
  console.log('\n## Baseline: the same questions as recursive SQL (through Knex, awaited one at a time)\n');
  console.log(
    table(
      ['question', ...LATENCY_HEADER.slice(1)],
      [
        latencyRow('permission check, one recursive CTE', sql.stats),
        latencyRow(
          `visible tree (${formatCount(sqlTree.first.length)} rows), one recursive CTE, JIT off`,
          sqlTree.stats,
        ),
      ],
    ),
  );
  console.log(
    `\nSQL sample: ${formatCount(SQL_CHECKS)} timed + ${SQL_WARMUP} warm-up queries spread evenly over the ` +
      `in-memory query list; ${(sql.allowedShare * 100).toFixed(1)} % allowed.`,
  );
}

export function printComparison(
  checks: CheckMeasurement,
  tree: VisibleMeasurement,
  sql: SqlCheckMeasurement,
  sqlTree: SqlVisibleMeasurement,
): void {
  const { singles, throughput } = checks;
  const sqlPerSecond = 1e9 / sql.stats.mean;
  const compare = (question: string, memory: number, baseline: number) => [
    question,
    formatNs(memory),
    formatNs(baseline),
    formatRatio(baseline / memory),
  ];
  console.log('\n## In-memory against SQL\n');
  console.log(
    table(
      ['question', 'in-memory', 'SQL', 'in-memory is N× faster'],
      [
        compare('permission check p50', singles.p50, sql.stats.p50),
        compare('permission check p99', singles.p99, sql.stats.p99),
        [
          'permission checks per second',
          formatCount(throughput),
          formatCount(sqlPerSecond),
          formatRatio(throughput / sqlPerSecond),
        ],
        compare('visible tree p50', tree.stats.p50, sqlTree.stats.p50),
        compare('visible tree p99', tree.stats.p99, sqlTree.stats.p99),
      ],
    ),
  );
  console.log(
    '\n(in-memory check figures are the single-call ones, timer read included, so the ratios understate ' +
      'the gap; SQL per second = 1 / mean latency, one query at a time)',
  );
}

/** What every comparison found, and the targets; returns false when a target fails. */
export function printVerdict(
  checks: CheckMeasurement,
  mismatches: readonly string[],
  treeProblems: readonly string[],
  updateProblems: readonly string[],
): boolean {
  console.log('\n## Correctness\n');
  console.log(
    `permission checks: ${formatCount(SQL_CHECKS + SQL_WARMUP)} SQL answers compared with index.can(): ` +
      `${mismatches.length === 0 ? 'all equal' : `${mismatches.length} MISMATCHES`}`,
  );
  for (const line of mismatches.slice(0, 20)) console.log(`  ${line}`);
  console.log(
    `visible tree: ${
      treeProblems.length === 0
        ? 'index and SQL agree on every node, its parent, access and permissions'
        : `${treeProblems.length} DIFFERENCES`
    }`,
  );
  for (const line of treeProblems.slice(0, 20)) console.log(`  ${line}`);
  console.log(
    `incremental updates: ${
      updateProblems.length === 0
        ? 'withUsers and withTree answer as a full rebuild does'
        : `${formatCount(updateProblems.length)} DIFFERENCES (listed above)`
    }`,
  );

  console.log('\n## Targets\n');
  const { singles } = checks;
  const fast = singles.p99 <= TARGET_CHECK_P99_NS;
  const correct = mismatches.length === 0 && treeProblems.length === 0;
  const current = updateProblems.length === 0;
  console.log(
    table(
      ['target', 'measured', 'result'],
      [
        [
          `permission check p99 ≤ ${formatNs(TARGET_CHECK_P99_NS)} in-process`,
          `${formatNs(singles.p99)} (single call)`,
          fast ? 'PASS' : 'FAIL',
        ],
        [
          'SQL and index agree',
          `${mismatches.length + treeProblems.length} differences`,
          correct ? 'PASS' : 'FAIL',
        ],
        [
          'derived index agrees with a full rebuild',
          `${formatCount(updateProblems.length)} differences`,
          current ? 'PASS' : 'FAIL',
        ],
      ],
    ),
  );
  return fast && correct && current;
}
