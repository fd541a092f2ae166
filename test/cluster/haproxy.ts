import { existsSync } from 'node:fs';
import path from 'node:path';
import { exitWithin, GiveUp, reservedPort, waitUntil } from '../helpers/child-processes.ts';
import { type OutputLog, spawnLogged } from './processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The README's example, started as documented: the tested configuration is the published one. */
export const HAPROXY_CONFIG = path.join(ROOT, 'docs', 'haproxy', 'canopy.cfg');
/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
export const HAPROXY_BINARY = ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy'].find(
  (file) => existsSync(file),
);

/** The two backends of the example: nodes that are ready, and (when none is) nodes that are alive. */
export type Backend = 'canopy_ready' | 'canopy_alive';

export interface Haproxy {
  /** The frontend's URL: the installation's PUBLIC_URL. */
  readonly url: string;
  /** Each server's state (`UP`, `DOWN`, `MAINT`, `no check`, …) in a backend, from the stats page. */
  states(backend?: Backend): Promise<Record<string, string>>;
  /** Waits until HAProxy's health checks put `server` in `state` (bounded). */
  waitFor(server: string, state: 'UP' | 'DOWN', backend?: Backend): Promise<void>;
  stop(): Promise<void>;
}

/**
 * HAProxy in the foreground with docs/haproxy/canopy.cfg, its `${…}` placeholders filled from the
 * environment: the frontend on a free loopback port, `servers` as node1…node3, fast checks.
 */
export async function startHaproxy(
  servers: readonly string[],
  options: { log: OutputLog; checkInterval: string },
): Promise<Haproxy> {
  if (!HAPROXY_BINARY) throw new Error('haproxy is not installed');
  const [frontPort, statsPort] = [await reservedPort(), await reservedPort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CANOPY_BIND: `127.0.0.1:${frontPort}`,
    CANOPY_STATS_BIND: `127.0.0.1:${statsPort}`,
    CANOPY_CHECK_INTERVAL: options.checkInterval,
    CANOPY_EXPOSE_NODE: '1',
  };
  servers.forEach((address, i) => {
    env[`CANOPY_NODE${i + 1}`] = address;
  });
  const child = spawnLogged('haproxy', HAPROXY_BINARY, ['-db', '-f', HAPROXY_CONFIG], {
    env,
    log: options.log,
  });
  const statsUrl = `http://127.0.0.1:${statsPort}/;csv`;

  async function states(backend: Backend = 'canopy_ready'): Promise<Record<string, string>> {
    const res = await fetch(statsUrl, { signal: AbortSignal.timeout(2_000) });
    if (res.status !== 200) throw new Error(`stats page: ${res.status}`);
    const [header, ...rows] = (await res.text()).trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((c) => columns.indexOf(c)) as [
      number,
      number,
      number,
    ];
    const found: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[px] === backend && cells[sv] !== 'BACKEND') found[cells[sv]!] = cells[status]!;
    }
    return found;
  }

  await waitUntil(
    'haproxy answers on its stats page',
    async () => {
      if (child.ended()) throw new GiveUp('haproxy exited');
      return Object.keys(await states()).length === servers.length;
    },
    { ms: 20_000 },
  );
  return {
    url: `http://127.0.0.1:${frontPort}`,
    states,
    async waitFor(server, state, backend = 'canopy_ready') {
      let seen: string | undefined;
      await waitUntil(
        `haproxy sees ${server} ${state} in ${backend}`,
        async () => {
          seen = (await states(backend))[server];
          // While a state changes, the page says e.g. "UP 1/2" or "DOWN 1/2" (going down, coming up).
          return seen === state;
        },
        { ms: 30_000 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last state: ${seen}`);
      });
    },
    async stop() {
      if (child.ended()) return;
      child.proc.kill('SIGTERM');
      await exitWithin(child, 10_000, 'haproxy after SIGTERM');
    },
  };
}
