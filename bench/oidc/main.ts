// `npm run bench -- oidc`: client-credentials tokens and introspections per second through a real
// Canopy server, against the same two operations on a bare oidc-provider with its in-memory adapter
// (the ceiling), in one run. Three processes besides this one: each server pinned to one CPU, the
// load generator on the other (research B §3.3–3.6). Target ratios are printed, not enforced by the
// exit status; a window with a wrong answer makes the run invalid (status 1).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatMs, machine } from '../stats.ts';
import { type Child, startChild } from './ipc.ts';
import {
  countRoundTrips,
  type Measurement,
  measure,
  OPERATIONS,
  preflight,
  type Server,
  type ServerInfo,
} from './measure.ts';
import { LOAD_CPU, parseParameters, SERVER_CPU } from './parameters.ts';
import { summarizeProfile } from './profile-summary.ts';
import { printComparison, printHeader, printPreflight, printRoundTrips, printRuns } from './report.ts';

const here = import.meta.dirname;

async function startServer(name: Server['name'], script: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = await startChild(path.join(here, script), { cpu: SERVER_CPU, env });
  return { name, child, info: child.ready as ServerInfo };
}

export async function run(args: string[]): Promise<void> {
  const p = parseParameters(args);
  const started = performance.now();
  const m = machine();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'canopy-bench-oidc-'));
  const profileDir = p.profile
    ? path.resolve(here, '../../.cache/bench-oidc', new Date().toISOString().replace(/[:.]/g, '-'))
    : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const children: Child[] = [];
  try {
    const canopyEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      REDIS_KEY_PREFIX: `canopy-bench-oidc:${process.pid}-${randomBytes(4).toString('hex')}:`,
    };
    const canopy = await startServer('Canopy', 'canopy-server.ts', canopyEnv);
    children.push(canopy.child);
    const bare = await startServer('bare oidc-provider', 'bare-server.ts', process.env);
    children.push(bare.child);
    const load = await startChild(path.join(here, 'load.ts'), { cpu: LOAD_CPU });
    children.push(load);

    printHeader(m, p, canopy);
    for (const server of [canopy, bare]) printPreflight(server.name, await preflight(server.info));

    // Pairs alternate which server goes first, so a drift of the machine does not favour one.
    const runs: Measurement[] = [];
    for (let round = 0; round < p.rounds; round++) {
      for (const [i, operation] of OPERATIONS.entries()) {
        const order = (round + i) % 2 === 0 ? [bare, canopy] : [canopy, bare];
        for (const server of order) {
          const file = profileDir
            ? path.join(
                profileDir,
                `${server.name === 'Canopy' ? 'canopy' : 'bare'}-${operation}-${round + 1}.cpuprofile`,
              )
            : undefined;
          const r = await measure(server, operation, load, p, file);
          console.error(
            `  ${server.name} ${operation} (round ${round + 1}): ${Math.round(r.load.perSecond)}/s, server CPU ${r.serverCpu.toFixed(2)}`,
          );
          runs.push(r);
        }
      }
    }

    const trips = await countRoundTrips(canopy, p.countRequests);
    printRuns(runs);
    const sound = printComparison(runs, OPERATIONS);
    printRoundTrips(trips, p.countRequests);

    for (const r of runs.filter((x) => x.profile)) {
      console.log(`\n## CPU profile: ${r.server}, ${r.operation} (${r.profile})\n`);
      console.log(summarizeProfile(r.profile!, r.load.requests).text);
    }
    if (profileDir)
      console.log('\nProfiled windows run slower than unprofiled ones: compare ratios from plain runs.');
    console.log(`\ntotal run time: ${formatMs(performance.now() - started)}`);
    if (!sound) process.exitCode = 1;
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
