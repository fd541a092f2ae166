// Every knob of `npm run bench -- oidc`, with its default; each can be given as `--name=value`.

export interface Parameters {
  /** Keep-alive connections, one request in flight on each. */
  connections: number;
  /** Load before each measured window, not counted. */
  warmupSeconds: number;
  /** Length of each measured window. */
  seconds: number;
  /** Each (server, operation) pair is measured this many times, the order alternating; medians are reported. */
  rounds: number;
  /** Sequential requests of each operation over which Canopy's SQL and Redis round trips are counted. */
  countRequests: number;
  /** Write a CPU profile of every measured window and summarize it. */
  profile: boolean;
}

export const DEFAULTS: Parameters = {
  connections: 50,
  warmupSeconds: 2,
  seconds: 10,
  rounds: 3,
  countRequests: 200,
  profile: false,
};

/** Targets (issue 3): Canopy at least half the bare provider, for both operations. */
export const TARGET_RATIO = 0.5;

/** The server runs on this CPU, the load generator on the other (research B §3). */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

const NUMERIC: Record<string, keyof Parameters> = {
  connections: 'connections',
  warmup: 'warmupSeconds',
  seconds: 'seconds',
  rounds: 'rounds',
  count: 'countRequests',
};

export function parseParameters(args: string[]): Parameters {
  const p: Parameters = { ...DEFAULTS };
  for (const arg of args) {
    const [, name, value] = /^--([a-z-]+)(?:=(.*))?$/.exec(arg) ?? [];
    if (name === 'profile' && value === undefined) {
      p.profile = true;
      continue;
    }
    const key = name ? NUMERIC[name] : undefined;
    const n = Number(value);
    if (!key || value === undefined || !Number.isInteger(n) || n < (key === 'warmupSeconds' ? 0 : 1)) {
      throw new Error(
        `unknown or bad argument ${arg}; known: --connections=N --warmup=S --seconds=S --rounds=N --count=N --profile`,
      );
    }
    (p[key] as number) = n;
  }
  return p;
}
