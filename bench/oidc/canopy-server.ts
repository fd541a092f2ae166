// Child process of `npm run bench -- oidc`: a real Canopy server (bench/bench-server.ts). It seeds
// one tenant before it announces itself: the environment credentials that ask for client-credentials
// tokens, and a `service` app that plays the resource server introspecting them.
import type { RequestContext } from '../../src/platform/context.ts';
import { startBenchServer } from '../bench-server.ts';
import { serveCalls } from './ipc.ts';
import { createProfiler } from './profiler.ts';
import { type RoundTrips, sqlLabel } from './round-trips.ts';

const bench = await startBenchServer('oidc');
const { container, signedUp } = bench;
const knex = container.database.knex;
const redis = container.redis?.command;
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

bench.listen();

// Round trips, counted only between count-start and count-stop: no listener runs while measuring.
let trips: RoundTrips = { sql: {}, redis: {} };
const onQuery = (q: { sql: string }) => {
  const label = sqlLabel(q.sql);
  trips.sql[label] = (trips.sql[label] ?? 0) + 1;
};
const sendCommand = redis?.sendCommand;

const profiler = createProfiler();
serveCalls(
  {
    issuer: bench.origin,
    ...(await bench.describe()),
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
    stop: bench.stop,
  },
);
