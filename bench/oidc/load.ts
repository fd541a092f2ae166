// Child process of `npm run bench -- oidc`: the load generator, on its own CPU. Each `run` call
// drives keep-alive HTTP load with autocannon (a fixed number of connections, one request in flight
// on each) for a fixed time, checks every response body, and returns the figures.
import { createRequire } from 'node:module';
import { serveCalls } from './ipc.ts';

export interface LoadRun {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
  /** What each 2xx body must hold: a token response, or an active introspection answer. */
  expect: 'token' | 'active';
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Milliseconds (autocannon keeps whole milliseconds). */
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  /** 2xx responses whose body was not what was expected. */
  mismatches: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; max: number };
  requests: { total: number };
}

type Autocannon = (
  options: Record<string, unknown>,
  done: (err: Error | null, result: AutocannonResult) => void,
) => unknown;

// autocannon is CommonJS without type declarations: typed here by what this file uses of it.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const checks: Record<LoadRun['expect'], (body: string) => boolean> = {
  token: (body) => body.includes('"access_token":"') && body.includes('"token_type":"Bearer"'),
  active: (body) => body.includes('"active":true'),
};

function run(r: LoadRun): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: r.url,
        method: 'POST',
        headers: r.headers,
        body: r.body,
        connections: r.connections,
        pipelining: 1,
        duration: r.seconds,
        timeout: 10,
        verifyBody: checks[r.expect],
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        const statusCodes = Object.fromEntries(
          Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
        );
        resolve({
          requests: result.requests.total,
          seconds: result.duration,
          perSecond: result.requests.total / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          max: result.latency.max,
          non2xx: result.non2xx,
          mismatches: result.mismatches,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
        });
      },
    );
  });
}

serveCalls(
  { pid: process.pid },
  {
    run: (arg) => run(arg as LoadRun),
    stop: () => process.exit(0),
  },
);
