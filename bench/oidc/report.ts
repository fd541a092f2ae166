// The printed report of `npm run bench -- oidc`: setup, every measured window, Canopy against the
// bare provider with the verdicts, and Canopy's round trips per request.
import { formatCount, type machine, table, versionOf } from '../stats.ts';
import { pinning } from './ipc.ts';
import type { Measurement, Operation, Server } from './measure.ts';
import { LOAD_CPU, type Parameters, SERVER_CPU, TARGET_RATIO } from './parameters.ts';
import { perRequest, type RoundTrips, totalPerRequest } from './round-trips.ts';

export function printHeader(m: ReturnType<typeof machine>, p: Parameters, canopy: Server): void {
  console.log('# OIDC provider: Canopy against a bare oidc-provider (npm run bench -- oidc)\n');
  console.log(
    table(
      ['', ''],
      [
        ['machine', `${m.cpus} CPUs, ${m.cpuModel}, ${m.ram} RAM`],
        ['Node', `${m.node}; oidc-provider ${versionOf('oidc-provider')}, express ${versionOf('express')}`],
        ['load average at start', m.load],
        [
          'pinning',
          pinning
            ? `each server on CPU ${SERVER_CPU}, the load generator on CPU ${LOAD_CPU} (taskset)`
            : 'none (taskset missing or a single CPU): figures are not comparable with pinned runs',
        ],
        ['Canopy backend', `${canopy.info.backend}: ${canopy.info.storage}`],
        ['Canopy log level', `${canopy.info.logLevel} (access log lines written to /dev/null)`],
        [
          'load',
          `autocannon ${versionOf('autocannon')}, ${p.connections} keep-alive connections, ` +
            `${p.warmupSeconds} s warm-up + ${p.seconds} s measured, ${p.rounds} round(s)`,
        ],
      ],
    ),
  );
}

export function printPreflight(name: string, sample: { token: object; introspection: object }): void {
  console.log(`\n${name}: token response ${JSON.stringify(sample.token)}`);
  console.log(`${name}: introspection ${JSON.stringify(sample.introspection)}`);
}

const ms = (x: number) => `${x} ms`;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const faults = (r: Measurement) => r.load.non2xx + r.load.mismatches + r.load.errors + r.load.timeouts;

export function printRuns(runs: readonly Measurement[]): void {
  console.log('\n## Every measured window\n');
  console.log('per CPU-second: requests/s divided by the server CPU, i.e. the rate of one whole core.\n');
  console.log(
    table(
      [
        'server',
        'operation',
        'requests/s',
        'p50',
        'p99',
        'max',
        'requests',
        'non-2xx',
        'bad body',
        'errors',
        'server CPU',
        'per CPU-second',
        'machine CPU',
      ],
      runs.map((r) => [
        r.server,
        r.operation,
        formatCount(r.load.perSecond),
        ms(r.load.p50),
        ms(r.load.p99),
        ms(r.load.max),
        formatCount(r.load.requests),
        String(r.load.non2xx),
        String(r.load.mismatches),
        String(r.load.errors + r.load.timeouts),
        `${r.serverCpu.toFixed(2)} core`,
        formatCount(perCpuSecond(r)),
        pct(r.machineBusy),
      ]),
    ),
  );
  for (const r of runs.filter((x) => x.load.non2xx > 0))
    console.log(`  ${r.server} ${r.operation}: status codes ${JSON.stringify(r.load.statusCodes)}`);
}

/** Requests served per second of the server's own CPU time: what a whole core would give. */
const perCpuSecond = (r: Measurement) => r.load.perSecond / r.serverCpu;

/** The window with the median value among a pair's rounds. */
function median(
  runs: readonly Measurement[],
  server: Server['name'],
  op: Operation,
  by: (r: Measurement) => number,
): Measurement {
  const mine = runs.filter((r) => r.server === server && r.operation === op);
  mine.sort((a, b) => by(a) - by(b));
  return mine[Math.floor((mine.length - 1) / 2)]!;
}

const verdict = (ratio: number) => (ratio >= TARGET_RATIO ? 'PASS' : 'FAIL');

/**
 * Prints the comparison; returns whether every window answered correctly (the targets do not count).
 * The verdict is on requests per second. Requests per server CPU-second are printed beside it: on a
 * shared machine another process can take part of the server's core, which the rate alone hides.
 */
export function printComparison(runs: readonly Measurement[], operations: readonly Operation[]): boolean {
  console.log('\n## Canopy against the bare ceiling (median window of each pair)\n');
  const rows = operations.map((op) => {
    const canopy = median(runs, 'Canopy', op, (r) => r.load.perSecond);
    const bare = median(runs, 'bare oidc-provider', op, (r) => r.load.perSecond);
    const ratio = canopy.load.perSecond / bare.load.perSecond;
    const cpuCanopy = perCpuSecond(median(runs, 'Canopy', op, perCpuSecond));
    const cpuBare = perCpuSecond(median(runs, 'bare oidc-provider', op, perCpuSecond));
    const cpuRatio = cpuCanopy / cpuBare;
    return {
      op,
      fails: ratio < TARGET_RATIO,
      disagree: verdict(ratio) !== verdict(cpuRatio),
      cells: [
        op,
        formatCount(canopy.load.perSecond),
        `${ms(canopy.load.p50)} / ${ms(canopy.load.p99)}`,
        formatCount(bare.load.perSecond),
        `${ms(bare.load.p50)} / ${ms(bare.load.p99)}`,
        `**${ratio.toFixed(2)}×**`,
        `${formatCount(cpuCanopy)} / ${formatCount(cpuBare)}`,
        `${cpuRatio.toFixed(2)}×`,
        `≥ ${TARGET_RATIO}×`,
        verdict(ratio),
      ],
    };
  });
  const header = ['operation', 'Canopy /s', 'Canopy p50 / p99', 'bare /s', 'bare p50 / p99', 'ratio'];
  header.push('per CPU-second, Canopy / bare', 'ratio per CPU-second', 'target', 'verdict');
  console.log(
    table(
      header,
      rows.map((r) => r.cells),
    ),
  );
  const sound = runs.every((r) => faults(r) === 0);
  const failed = rows.filter((r) => r.fails).map((r) => r.op);
  console.log(
    failed.length === 0
      ? '\nVERDICT: PASS — both operations reach the target ratio.'
      : `\nVERDICT: FAIL — below ${TARGET_RATIO}× the bare ceiling: ${failed.join(', ')}. ` +
          'The exit status stays 0: figures on a shared machine vary; see docs/benchmarks.md for where the time goes.',
  );
  for (const r of rows.filter((x) => x.disagree))
    console.log(
      `NOTE: for ${r.op}, the ratio per server CPU-second gives the other verdict: the server did not have its core to itself.`,
    );
  if (!sound)
    console.log(
      'MEASUREMENT INVALID: some responses were not 2xx, or not a token / `active: true`, or failed (see above).',
    );
  return sound;
}

export function printRoundTrips(trips: Record<Operation, RoundTrips>, n: number): void {
  console.log(`\n## Canopy's round trips per request (${n} sequential requests of each)\n`);
  console.log(
    table(
      ['operation', 'SQL', 'Redis', 'SQL statements', 'Redis commands'],
      Object.entries(trips).map(([op, t]) => [
        op,
        totalPerRequest(t.sql, n).toFixed(2),
        totalPerRequest(t.redis, n).toFixed(2),
        perRequest(t.sql, n),
        perRequest(t.redis, n),
      ]),
    ),
  );
}
