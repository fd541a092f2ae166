// Every knob of `npm run bench -- pages`, with its default; each can be given as `--name=value`.

export interface Parameters {
  /** Connection counts to measure, each with every target; one request in flight per connection. */
  connections: number[];
  /** Load before each measured window, not counted. */
  warmupSeconds: number;
  /** Length of each measured window. */
  seconds: number;
  /** A request unanswered this long counts as a timeout (autocannon's `timeout`). */
  timeoutSeconds: number;
  /** Write a CPU profile of every measured window of the login page and summarize it. */
  profile: boolean;
}

export const DEFAULTS: Parameters = {
  connections: [200, 1000],
  warmupSeconds: 2,
  seconds: 10,
  timeoutSeconds: 10,
  profile: false,
};

/** The server runs on this CPU, the load generator on the other (as `npm run bench -- oidc`). */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

const USAGE = 'known: --connections=N[,N…] --warmup=S --seconds=S --timeout=S --profile';

export function parseParameters(args: string[]): Parameters {
  const p: Parameters = { ...DEFAULTS, connections: [...DEFAULTS.connections] };
  for (const arg of args) {
    const [, name, value] = /^--([a-z-]+)(?:=(.*))?$/.exec(arg) ?? [];
    if (name === 'profile' && value === undefined) {
      p.profile = true;
      continue;
    }
    if (name === 'connections' && value !== undefined) {
      const counts = value.split(',').map(Number);
      if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad argument ${arg}; ${USAGE}`);
      p.connections = counts;
      continue;
    }
    const key = ({ warmup: 'warmupSeconds', seconds: 'seconds', timeout: 'timeoutSeconds' } as const)[
      name as 'warmup' | 'seconds' | 'timeout'
    ];
    const n = Number(value);
    if (!key || value === undefined || !Number.isInteger(n) || n < (key === 'warmupSeconds' ? 0 : 1))
      throw new Error(`unknown or bad argument ${arg}; ${USAGE}`);
    p[key] = n;
  }
  return p;
}
