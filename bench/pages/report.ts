// The printed report of `npm run bench -- pages`: the setup, then one row per measured window with
// its ratio to the baseline (`/healthz` at the same connection count).
import { pinning } from '../oidc/ipc.ts';
import { formatCount, formatRatio, type machine, table, versionOf } from '../stats.ts';
import type { LoadResult } from './load.ts';
import { LOAD_CPU, type Parameters, SERVER_CPU } from './parameters.ts';
import type { PagesServerInfo } from './server.ts';

export interface Target {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** The status every answer must have. */
  status: number;
}

export interface Window {
  target: Target;
  connections: number;
  load: LoadResult;
  /** Server CPU seconds per wall second over the window (1.0 = one core busy). */
  serverCpu: number;
  /** The load generator's CPU over the window: near 1.0, it is the bottleneck and its timeouts are suspect. */
  loadCpu: number;
  profile?: string;
}

export function printHeader(m: ReturnType<typeof machine>, p: Parameters, info: PagesServerInfo): void {
  console.log('# Pages: /login/<domain> and the sign-in page against /healthz (npm run bench -- pages)\n');
  console.log(
    table(
      ['', ''],
      [
        ['machine', `${m.cpus} CPUs, ${m.cpuModel}, ${m.ram} RAM`],
        ['Node', `${m.node}; express ${versionOf('express')}`],
        ['load average at start', m.load],
        [
          'pinning',
          pinning
            ? `the server on CPU ${SERVER_CPU}, the load generator on CPU ${LOAD_CPU} (taskset)`
            : 'none (taskset missing or a single CPU): figures are not comparable with pinned runs',
        ],
        ['backend', `${info.backend}: ${info.storage}`],
        ['log level', `${info.logLevel} (access log lines written to /dev/null)`],
        [
          'load',
          `autocannon ${versionOf('autocannon')}, ${p.connections.join(' and ')} keep-alive connections, ` +
            `${p.warmupSeconds} s warm-up + ${p.seconds} s measured per window, timeout ${p.timeoutSeconds} s`,
        ],
      ],
    ),
  );
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : 'n/a');

export function printResults(windows: readonly Window[]): void {
  console.log('\n## Every measured window\n');
  console.log(
    'answers/s: answers with the expected status per second; per CPU-s: answers/s divided by the server CPU, i.e. the rate of one whole core; ratio: answers/s against /healthz at the same connection count.\n',
  );
  const baseline = (w: Window) =>
    windows.find((b) => b.connections === w.connections && b.target.path === '/healthz')?.load.perSecond ??
    Number.NaN;
  console.log(
    table(
      [
        'connections',
        'target',
        'answers/s',
        'p50',
        'p99',
        'max',
        'timeouts',
        'errors',
        'other status',
        'ratio',
        'server CPU',
        'per CPU-s',
        'load CPU',
      ],
      windows.map((w) => [
        String(w.connections),
        `${w.target.name} → ${w.target.status}`,
        formatCount(w.load.perSecond),
        ms(w.load.p50),
        ms(w.load.p99),
        ms(w.load.max),
        formatCount(w.load.timeouts),
        formatCount(w.load.errors),
        formatCount(w.load.wrongStatus),
        formatRatio(w.load.perSecond / baseline(w)),
        w.serverCpu.toFixed(2),
        formatCount(w.load.perSecond / w.serverCpu),
        w.loadCpu.toFixed(2),
      ]),
    ),
  );
}
