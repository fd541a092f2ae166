// The two operations, against one server: a check that each answers as it should, the measured
// windows (server CPU read from /proc around each), and Canopy's round trips per request.
import { type Child, machineCpuTicks, processCpuSeconds } from './ipc.ts';
import type { LoadResult, LoadRun } from './load.ts';
import type { Parameters } from './parameters.ts';
import type { RoundTrips } from './round-trips.ts';

export type Operation = 'client_credentials' | 'introspection';
export const OPERATIONS: readonly Operation[] = ['client_credentials', 'introspection'];

/** What a server process announces when it is ready. */
export interface ServerInfo {
  issuer: string;
  pid: number;
  backend: string;
  storage: string;
  logLevel: string;
  tokenClient: { id: string; secret: string };
  introspector: { id: string; secret: string };
}

export interface Server {
  name: 'Canopy' | 'bare oidc-provider';
  child: Child;
  info: ServerInfo;
}

export interface Measurement {
  server: Server['name'];
  operation: Operation;
  load: LoadResult;
  /** Server CPU seconds per wall second over the window (1.0 = one core busy). */
  serverCpu: number;
  /** Busy share of all the machine's CPUs over the window. */
  machineBusy: number;
  profile?: string;
}

const FORM = 'application/x-www-form-urlencoded';
const basic = (c: { id: string; secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;

function request(info: ServerInfo, operation: Operation, token?: string) {
  return operation === 'client_credentials'
    ? {
        url: `${info.issuer}/oidc/token`,
        headers: { authorization: basic(info.tokenClient), 'content-type': FORM },
        body: 'grant_type=client_credentials',
      }
    : {
        url: `${info.issuer}/oidc/token/introspection`,
        headers: { authorization: basic(info.introspector), 'content-type': FORM },
        body: new URLSearchParams({ token: token!, token_type_hint: 'access_token' }).toString(),
      };
}

async function send(r: ReturnType<typeof request>): Promise<Record<string, unknown>> {
  const res = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${r.url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A fresh client-credentials access token of the server's token client. */
export async function issueToken(info: ServerInfo): Promise<string> {
  const body = await send(request(info, 'client_credentials'));
  if (typeof body.access_token !== 'string' || body.token_type !== 'Bearer')
    throw new Error(`not a token response: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** One of each operation, checked: returns the token response and the introspection answer. */
export async function preflight(info: ServerInfo): Promise<{ token: object; introspection: object }> {
  const token = await send(request(info, 'client_credentials'));
  if (typeof token.access_token !== 'string') throw new Error(`no access token: ${JSON.stringify(token)}`);
  const introspection = await send(request(info, 'introspection', token.access_token));
  if (introspection.active !== true)
    throw new Error(`the token introspects as inactive: ${JSON.stringify(introspection)}`);
  const shown = { ...token, access_token: `<${token.access_token.length} characters>` };
  return { token: shown, introspection };
}

/** A warm-up window, then a measured one; the server's CPU is read just before and after it. */
export async function measure(
  server: Server,
  operation: Operation,
  load: Child,
  p: Parameters,
  profileFile?: string,
): Promise<Measurement> {
  const token = operation === 'introspection' ? await issueToken(server.info) : undefined;
  const base = { ...request(server.info, operation, token), connections: p.connections };
  const expect: LoadRun['expect'] = operation === 'client_credentials' ? 'token' : 'active';
  if (p.warmupSeconds > 0)
    await load.call<LoadResult>('run', { ...base, seconds: p.warmupSeconds, expect } satisfies LoadRun);
  if (profileFile) await server.child.call('profile-start');
  const cpuBefore = processCpuSeconds(server.info.pid);
  const machineBefore = machineCpuTicks();
  const result = await load.call<LoadResult>('run', {
    ...base,
    seconds: p.seconds,
    expect,
  } satisfies LoadRun);
  const cpuAfter = processCpuSeconds(server.info.pid);
  const machineAfter = machineCpuTicks();
  const profile = profileFile ? await server.child.call<string>('profile-stop', profileFile) : undefined;
  return {
    server: server.name,
    operation,
    load: result,
    serverCpu: (cpuAfter - cpuBefore) / result.seconds,
    machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
    ...(profile ? { profile } : {}),
  };
}

/** SQL statements and Redis commands per request of each operation, over `n` sequential requests. */
export async function countRoundTrips(server: Server, n: number): Promise<Record<Operation, RoundTrips>> {
  const out = {} as Record<Operation, RoundTrips>;
  for (const operation of OPERATIONS) {
    const token = operation === 'introspection' ? await issueToken(server.info) : undefined;
    const r = request(server.info, operation, token);
    await server.child.call('count-start');
    try {
      for (let i = 0; i < n; i++) await send(r);
    } finally {
      out[operation] = await server.child.call<RoundTrips>('count-stop');
    }
  }
  return out;
}
