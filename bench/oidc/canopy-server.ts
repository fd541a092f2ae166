// Child process of `npm run bench -- oidc`: a real Canopy server, built as `src/main.ts` builds it
// (configuration, container, app), on a free loopback port that is also its PUBLIC_URL. It seeds one
// tenant before it announces itself: the environment credentials that ask for client-credentials
// tokens, and a `service` app that plays the resource server introspecting them.
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
import type { RequestContext } from '../../src/platform/context.ts';
import { ownSchema } from '../own-schema.ts';
import { serveCalls } from './ipc.ts';
import { createProfiler } from './profiler.ts';
import { type RoundTrips, sqlLabel } from './round-trips.ts';

const server = createServer();
server.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const config = loadConfig({ env: { ...process.env, PUBLIC_URL: issuer } });

const own = config.storage.databaseUrl
  ? await ownSchema('oidc', config.storage.databaseUrl, config.storage.databasePoolMax)
  : undefined;
const container = await createContainer(config, own ? { database: own.database } : {});
const knex = container.database.knex;
const redis = container.redis?.command;

// One tenant, as a sign-up on the web page makes it.
const signedUp = await container.signUp(
  { actor: { kind: 'anonymous' }, requestId: 'bench-signup' },
  {
    companyName: 'Bench Corp',
    domain: `bench-${randomBytes(4).toString('hex')}`,
    username: 'founder',
    email: 'founder@bench.test',
    name: 'Bench Founder',
    password: randomBytes(18).toString('base64url'),
  },
);
const tenantId = signedUp.organization.id;
const owner: RequestContext = {
  actor: { kind: 'user', tenantId, userId: signedUp.user.id },
  requestId: 'bench-seed',
};
const environment = signedUp.environments[0]!;
const credentials = await container.credentials.read(owner, tenantId, {
  orgId: tenantId,
  environmentId: environment.id,
});
const service = await container.apps.create(owner, tenantId, {
  kind: 'service',
  name: 'Bench resource server',
  grants: [{ organizationId: tenantId, permissions: ['audit.view'] }],
});

server.on('request', createApp(container));

// Round trips, counted only between count-start and count-stop: no listener runs while measuring.
let trips: RoundTrips = { sql: {}, redis: {} };
const onQuery = (q: { sql: string }) => {
  const label = sqlLabel(q.sql);
  trips.sql[label] = (trips.sql[label] ?? 0) + 1;
};
const sendCommand = redis?.sendCommand;

const profiler = createProfiler();
const pgVersion =
  container.database.kind === 'postgres'
    ? ((await knex.raw('show server_version')).rows[0].server_version as string)
    : undefined;
const redisVersion = redis ? /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] : undefined;

serveCalls(
  {
    issuer,
    pid: process.pid,
    backend: container.database.kind === 'postgres' ? 'PostgreSQL + Redis' : 'embedded',
    storage:
      container.database.kind === 'postgres'
        ? `PostgreSQL ${pgVersion} (schema ${own?.schema}), ${redis ? `Redis ${redisVersion} (prefix ${config.storage.redisKeyPrefix})` : 'no Redis'}`
        : 'embedded PGlite in a temporary DATA_DIR, no Redis',
    logLevel: config.log.level,
    tokenClient: { id: credentials.clientId, secret: credentials.clientSecret },
    introspector: { id: service.app.clientId, secret: service.clientSecret! },
  },
  {
    'profile-start': () => profiler.start(),
    'profile-stop': (file) => profiler.stop(file as string),
    'count-start': () => {
      trips = { sql: {}, redis: {} };
      knex.on('query', onQuery);
      if (redis && sendCommand) {
        redis.sendCommand = function counted(this: typeof redis, command, stream) {
          trips.redis[command.name] = (trips.redis[command.name] ?? 0) + 1;
          return sendCommand.call(this, command, stream);
        } as typeof sendCommand;
      }
    },
    'count-stop': () => {
      knex.removeListener('query', onQuery);
      if (redis && sendCommand) redis.sendCommand = sendCommand;
      return trips;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (redis) {
        // Tokens expire on their own; the benchmark's are removed now so they do not sit in a shared Redis.
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
