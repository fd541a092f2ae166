// Child process of `npm run bench -- pages`: the load generator, on its own CPU. Each `run` call
// drives keep-alive GET load with autocannon (a fixed number of connections, one request in flight
// on each): a warm-up, then the measured window, in one run, so that the connections opened during
// the warm-up carry the measured load. Answers are counted by status, and the latencies of the
// expected ones kept, from the events of the measured window only (autocannon's own percentiles
// leave out every non-2xx answer, and the login URL answers 303).
import { createRequire } from 'node:module';
import { serveCalls } from '../oidc/ipc.ts';
import { percentile } from '../stats.ts';

export interface LoadRun {
  url: string;
  /** Sent with every request (the sign-in page's interaction cookie). */
  headers?: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  timeoutSeconds: number;
  /** The status every answer must have (200 for /healthz, 303 for a known domain's login URL…). */
  status: number;
}

export interface LoadResult {
  /** Answers with the expected status. */
  answered: number;
  seconds: number;
  /** Expected answers per second. */
  perSecond: number;
  /** Milliseconds, over the expected answers. */
  p50: number;
  p99: number;
  max: number;
  /** Answers with another status. */
  wrongStatus: number;
  /** Connection errors (resets, refusals), timeouts excluded. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

interface Instance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'reqError', listener: (err: Error) => void): void;
}

type Autocannon = (options: Record<string, unknown>, done: (err: Error | null) => void) => Instance;

// autocannon is CommonJS without type declarations: typed here by what this file uses of it.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function run(r: LoadRun): Promise<LoadResult> {
  const statusCodes: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  let measuring = false;
  let from = 0;
  const timer = setTimeout(() => {
    measuring = true;
    from = performance.now();
  }, r.warmupSeconds * 1000);

  const done = new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: r.url,
        method: 'GET',
        headers: r.headers ?? {},
        connections: r.connections,
        pipelining: 1,
        duration: r.warmupSeconds + r.seconds,
        timeout: r.timeoutSeconds,
      },
      (err) => (err ? reject(err) : resolve()),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (!measuring) return;
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status === r.status) latencies.push(ms);
    });
    instance.on('reqError', (err) => {
      if (!measuring) return;
      if (err.message === 'request timed out') timeouts++;
      else errors++;
    });
  });
  return done.then(
    () => {
      const seconds = (performance.now() - from) / 1000;
      const sorted = Float64Array.from(latencies).sort();
      const answered = sorted.length;
      const all = Object.values(statusCodes).reduce((a, b) => a + b, 0);
      return {
        answered,
        seconds,
        perSecond: answered / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted[answered - 1] ?? Number.NaN,
        wrongStatus: all - answered,
        errors,
        timeouts,
        statusCodes,
      };
    },
    (err) => {
      clearTimeout(timer);
      throw err;
    },
  );
}

serveCalls(
  { pid: process.pid },
  {
    run: (arg) => run(arg as LoadRun),
    stop: () => process.exit(0),
  },
);
