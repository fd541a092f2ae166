// The common part of the benchmarks' server processes (`bench/oidc/canopy-server.ts`,
// `bench/pages/server.ts`): a real Canopy server, built as `src/main.ts` builds it (configuration,
// container, app), on a free loopback port that is also its PUBLIC_URL, with one tenant signed up.
//
// Storage comes from the environment the benchmark passes: DATA_DIR (embedded PGlite, a temporary
// directory), or DATABASE_URL (a schema of its own, dropped at the end) and REDIS_URL with a
// REDIS_KEY_PREFIX of its own (its keys deleted at the end).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import { createContainer } from '../src/container.ts';
import { ownSchema } from './own-schema.ts';

/** Starts the server for benchmark `name`; the app answers once `listen()` is called. */
export async function startBenchServer(name: string) {
  const server = createServer();
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ env: { ...process.env, PUBLIC_URL: origin } });
  const own = config.storage.databaseUrl
    ? await ownSchema(name, config.storage.databaseUrl, config.storage.databasePoolMax)
    : undefined;
  const container = await createContainer(config, own ? { database: own.database } : {});
  const redis = container.redis?.command;

  // One tenant, as a sign-up on the web page makes it.
  const domain = `bench-${randomBytes(4).toString('hex')}`;
  const signedUp = await container.signUp(
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

  /** What the report says about the run: the backend and the versions of what it ran on. */
  async function describe() {
    const postgres = container.database.kind === 'postgres';
    const pgVersion = postgres
      ? ((await container.database.knex.raw('show server_version')).rows[0].server_version as string)
      : undefined;
    const redisVersion = redis ? /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] : undefined;
    return {
      pid: process.pid,
      backend: postgres ? 'PostgreSQL + Redis' : 'embedded',
      storage: postgres
        ? `PostgreSQL ${pgVersion} (schema ${own?.schema}), ${redis ? `Redis ${redisVersion} (prefix ${config.storage.redisKeyPrefix})` : 'no Redis'}`
        : 'embedded PGlite in a temporary DATA_DIR, no Redis',
      logLevel: config.log.level,
    };
  }

  return {
    origin,
    config,
    container,
    domain,
    signedUp,
    describe,
    /** From now on the server answers with Canopy's app. */
    listen: () => server.on('request', createApp(container)),
    /** Closes the server, removes the run's Redis keys (its schema goes with the database) and exits. */
    async stop(): Promise<never> {
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
  };
}
