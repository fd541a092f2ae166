// `npm run bench -- pages`: the public sign-in entry `/login/<domain>` (a known tenant's, and an
// unknown domain) and the org's sign-in page under many concurrent keep-alive connections, against
// `/healthz` on the same server in the same run (the baseline: Express, the request context and the
// access log, nothing else). Two processes besides this one: the Canopy server pinned to one CPU, the load generator
// (autocannon) on the other. Storage as the environment says: embedded by default, PostgreSQL +
// Redis with DATABASE_URL and REDIS_URL.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Child, processCpuSeconds, startChild } from '../oidc/ipc.ts';
import { summarizeProfile } from '../oidc/profile-summary.ts';
import { formatMs, machine } from '../stats.ts';
import type { LoadResult, LoadRun } from './load.ts';
import { LOAD_CPU, type Parameters, parseParameters, SERVER_CPU } from './parameters.ts';
import { printHeader, printResults, type Target, type Window } from './report.ts';
import type { PagesServerInfo } from './server.ts';

const here = import.meta.dirname;

function targets(info: PagesServerInfo): Target[] {
  return [
    { name: '/healthz (baseline)', path: '/healthz', status: 200 },
    { name: '/login/<domain>', path: `/login/${info.domain}`, status: 303 },
    { name: '/login/<unknown>', path: `/login/nobody-${randomBytes(4).toString('hex')}`, status: 404 },
    {
      name: 'sign-in page',
      path: info.signInPage.path,
      headers: { cookie: info.signInPage.cookie },
      status: 200,
    },
  ];
}

async function measure(
  server: Child,
  info: PagesServerInfo,
  load: Child,
  target: Target,
  connections: number,
  p: Parameters,
  profileFile?: string,
): Promise<Window> {
  const running = load.call<LoadResult>('run', {
    url: `${info.origin}${target.path}`,
    ...(target.headers ? { headers: target.headers } : {}),
    connections,
    warmupSeconds: p.warmupSeconds,
    seconds: p.seconds,
    timeoutSeconds: p.timeoutSeconds,
    status: target.status,
  } satisfies LoadRun);
  // The load generator measures from the end of its warm-up: CPU is read (and profiled) from then.
  await sleep(p.warmupSeconds * 1000);
  if (profileFile) await server.call('profile-start');
  const from = performance.now();
  const cpuBefore = { server: processCpuSeconds(info.pid), load: processCpuSeconds(load.pid) };
  const result = await running;
  const wall = (performance.now() - from) / 1000;
  const serverCpu = (processCpuSeconds(info.pid) - cpuBefore.server) / wall;
  const loadCpu = (processCpuSeconds(load.pid) - cpuBefore.load) / wall;
  const profile = profileFile ? await server.call<string>('profile-stop', profileFile) : undefined;
  return { target, connections, load: result, serverCpu, loadCpu, ...(profile ? { profile } : {}) };
}

export async function run(args: string[]): Promise<void> {
  const p = parseParameters(args);
  const started = performance.now();
  const m = machine();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-pages-'));
  const profileDir = p.profile
    ? path.resolve(here, '../../.cache/bench-pages', new Date().toISOString().replace(/[:.]/g, '-'))
    : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const children: Child[] = [];
  try {
    const server = await startChild(path.join(here, 'server.ts'), {
      cpu: SERVER_CPU,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        SECRETS_KEY: randomBytes(32).toString('hex'),
        REDIS_KEY_PREFIX: `canopy-bench-pages:${process.pid}-${randomBytes(4).toString('hex')}:`,
      },
    });
    children.push(server);
    const info = server.ready as PagesServerInfo;
    const load = await startChild(path.join(here, 'load.ts'), { cpu: LOAD_CPU });
    children.push(load);
    printHeader(m, p, info);

    const windows: Window[] = [];
    for (const connections of p.connections) {
      for (const target of targets(info)) {
        const file =
          profileDir && target.path !== '/healthz'
            ? path.join(profileDir, `${target.name.replace(/\W+/g, '-')}-${connections}.cpuprofile`)
            : undefined;
        const w = await measure(server, info, load, target, connections, p, file);
        console.error(
          `  ${target.name} at ${connections} connections: ${Math.round(w.load.perSecond)}/s, ` +
            `${w.load.timeouts} timeouts, server CPU ${w.serverCpu.toFixed(2)}`,
        );
        windows.push(w);
      }
    }
    printResults(windows);
    for (const w of windows.filter((x) => x.profile)) {
      console.log(`\n## CPU profile: ${w.target.name} at ${w.connections} connections (${w.profile})\n`);
      console.log(summarizeProfile(w.profile!, w.load.answered).text);
    }
    console.log(`\ntotal run time: ${formatMs(performance.now() - started)}`);
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
