// Child process of `npm run bench -- pages`: a real Canopy server (bench/bench-server.ts) with one
// tenant signed up whose domain the login URL names, and one console sign-in started.
import { randomBytes } from 'node:crypto';
import { CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { startBenchServer } from '../bench-server.ts';
import { serveCalls } from '../oidc/ipc.ts';
import { createProfiler } from '../oidc/profiler.ts';

export interface PagesServerInfo {
  origin: string;
  pid: number;
  backend: string;
  storage: string;
  logLevel: string;
  /** The signed-up tenant's domain: `/login/<domain>` answers 303. */
  domain: string;
  /** The org's sign-in page of one console sign-in in progress, and the interaction cookie it needs. */
  signInPage: { path: string; cookie: string };
}

/** Starts a console sign-in for the org, as a browser would: where its sign-in page is, and the cookie. */
async function startSignIn(origin: string, domain: string): Promise<PagesServerInfo['signInPage']> {
  const url = new URL('/oidc/auth', origin);
  url.search = new URLSearchParams({
    client_id: CONSOLE_CLIENT_ID,
    response_type: 'code',
    redirect_uri: `${origin}/console/`,
    scope: 'openid',
    code_challenge: randomBytes(32).toString('base64url'),
    code_challenge_method: 'S256',
    org: domain,
  }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  const path = res.headers.get('location');
  if (res.status !== 303 || !path?.startsWith('/interaction/'))
    throw new Error(`no sign-in started: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0]!)
    .filter((pair) => pair.includes('interaction'))
    .join('; ');
  return { path, cookie };
}

const bench = await startBenchServer('pages');
bench.listen();
const profiler = createProfiler();

serveCalls(
  {
    origin: bench.origin,
    ...(await bench.describe()),
    domain: bench.domain,
    signInPage: await startSignIn(bench.origin, bench.domain),
  } satisfies PagesServerInfo,
  {
    'profile-start': () => profiler.start(),
    'profile-stop': (file) => profiler.stop(file as string),
    stop: bench.stop,
  },
);
