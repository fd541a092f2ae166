// Child process of `npm run bench -- pages`: a real Canopy server, built as `src/main.ts` builds it
// (configuration, container, app), on a free loopback port that is also its PUBLIC_URL, with one
// tenant signed up whose domain the login URL names.
//
// Storage comes from the environment the benchmark passes: DATA_DIR (embedded PGlite, a temporary
// directory), or DATABASE_URL (a schema of its own, dropped at the end) and REDIS_URL with a
// REDIS_KEY_PREFIX of its own (its keys deleted at the end).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createContainer } from '../../src/container.ts';
import { CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { serveCalls } from '../oidc/ipc.ts';
import { createProfiler } from '../oidc/profiler.ts';
import { ownSchema } from '../own-schema.ts';

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

const server = createServer();
server.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const config = loadConfig({ env: { ...process.env, PUBLIC_URL: origin } });

const own = config.storage.databaseUrl
  ? await ownSchema('pages', config.storage.databaseUrl, config.storage.databasePoolMax)
  : undefined;
const container = await createContainer(config, own ? { database: own.database } : {});
const redis = container.redis?.command;

const domain = `bench-${randomBytes(4).toString('hex')}`;
await container.signUp(
  { actor: { kind: 'anonymous' }, requestId: 'bench-signup' },
  {
    companyName: 'Bench Corp',
    domain,
    username: 'founder',
    email: 'founder@bench.test',
    name: 'Bench Founder',
    password: randomBytes(18).toString('base64url'),
  },
);
server.on('request', createApp(container));

const profiler = createProfiler();
const pgVersion =
  container.database.kind === 'postgres'
    ? ((await container.database.knex.raw('show server_version')).rows[0].server_version as string)
    : undefined;
const redisVersion = redis ? /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] : undefined;

serveCalls(
  {
    origin,
    pid: process.pid,
    backend: container.database.kind === 'postgres' ? 'PostgreSQL + Redis' : 'embedded',
    storage:
      container.database.kind === 'postgres'
        ? `PostgreSQL ${pgVersion} (schema ${own?.schema}), ${redis ? `Redis ${redisVersion} (prefix ${config.storage.redisKeyPrefix})` : 'no Redis'}`
        : 'embedded PGlite in a temporary DATA_DIR, no Redis',
    logLevel: config.log.level,
    domain,
    signInPage: await startSignIn(origin, domain),
  } satisfies PagesServerInfo,
  {
    'profile-start': () => profiler.start(),
    'profile-stop': (file) => profiler.stop(file as string),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (redis) {
        for await (const keys of redis.scanStream({
          match: `${config.storage.redisKeyPrefix}*`,
          count: 1000,
        })) {
          if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
        }
      }
      await container.close();
      process.exit(0);
    },
  },
);
