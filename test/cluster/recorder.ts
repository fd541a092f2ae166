import * as client from 'openid-client';

/** One HTTP exchange as the client saw it: which node answered (HAProxy's X-Canopy-Node), and how. */
export interface Exchange {
  method: string;
  path: string;
  /** 0: no HTTP answer at all (connection refused or reset). */
  status: number;
  node: string | null;
  retryAfter: string | null;
  /** The body of a 5xx answer, or the network error. */
  detail?: string;
}

/**
 * Records every exchange made through it: as `fetch` for direct calls, and as openid-client's
 * `customFetch` for the relying parties, so a scenario can say afterwards which nodes served it
 * and what failed.
 */
export class Recorder {
  readonly exchanges: Exchange[] = [];

  readonly fetch = async (url: string | URL, init: RequestInit = {}): Promise<Response> => {
    const method = init.method ?? 'GET';
    const path = new URL(url).pathname;
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(20_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = `${(err as Error).message}${cause ? `: ${cause.code ?? cause.message}` : ''}`;
      this.exchanges.push({ method, path, status: 0, node: null, retryAfter: null, detail });
      throw err;
    }
    const exchange: Exchange = {
      method,
      path,
      status: res.status,
      node: res.headers.get('x-canopy-node'),
      retryAfter: res.headers.get('retry-after'),
    };
    this.exchanges.push(exchange);
    if (res.status >= 500) exchange.detail = (await res.clone().text()).slice(0, 300);
    return res;
  };

  /** Makes `config` (an openid-client relying party) send everything through this recorder. */
  attach(config: client.Configuration): client.Configuration {
    config[client.customFetch] = (url, options) => this.fetch(url, options as RequestInit);
    return config;
  }

  /** A position in the record, for `since`. */
  mark(): number {
    return this.exchanges.length;
  }

  since(mark: number): Exchange[] {
    return this.exchanges.slice(mark);
  }
}

/** Exchanges that failed for a reason other than the request itself: no answer, or a 5xx. */
export const failuresIn = (exchanges: readonly Exchange[]) =>
  exchanges.filter((e) => e.status === 0 || e.status >= 500);

/** The nodes that answered, in order of first appearance. */
export const nodesIn = (exchanges: readonly Exchange[]) => [
  ...new Set(exchanges.map((e) => e.node).filter((n): n is string => n !== null)),
];

/** A few lines for an assertion message: counts by status, and the failures themselves. */
export function summarize(exchanges: readonly Exchange[], max = 15): string {
  const counts = new Map<string, number>();
  for (const e of exchanges) {
    const key = `${e.status} ${e.method} ${e.path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const lines = [...counts].map(([key, n]) => `  ${n} × ${key}`);
  const failed = failuresIn(exchanges)
    .slice(0, max)
    .map(
      (e) =>
        `  failed: ${e.status} ${e.method} ${e.path} via ${e.node ?? '-'} retry-after=${e.retryAfter} ${e.detail ?? ''}`,
    );
  return [`${exchanges.length} exchanges:`, ...lines, ...failed].join('\n');
}
