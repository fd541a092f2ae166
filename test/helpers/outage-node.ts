import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger, type Logger } from '../../src/platform/logger.ts';
import { userToken } from './api.ts';
import { signUpTenant, type Tenant } from './factories.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { testConfig } from './test-container.ts';
import { openTestDatabase } from './test-database.ts';

/** A test database another node may share: closing a node never closes it. */
export interface SharedDatabase {
  database: Database;
  /** The PostgreSQL schema it lives in (undefined: embedded). */
  schema: string | undefined;
  close(): Promise<void>;
}

export async function openSharedDatabase(): Promise<SharedDatabase> {
  const database = await openTestDatabase();
  const schema =
    database.kind === 'postgres'
      ? ((await database.knex.raw('select current_schema() as schema')) as { rows: { schema: string }[] })
          .rows[0]!.schema
      : undefined;
  return { database, schema, close: () => database.close() };
}

export interface OutageNode {
  container: Container;
  /** Where this node listens (also its public URL unless one was given). */
  origin: string;
  /** The TCP proxies its PostgreSQL and Redis connections go through, when asked for. */
  links: { database?: TcpProxy; redis?: TcpProxy };
  close(): Promise<void>;
}

const via = (url: string, proxy: TcpProxy) => {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
};

const targetOf = (url: string, defaultPort: number) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || defaultPort) };
};

export interface OutageNodeOptions {
  shared: SharedDatabase;
  proxyDatabase?: boolean;
  /** The proxied database's query timeout (a serving node's is 15 s; a test waits less). */
  queryTimeoutMs?: number;
  redis: 'none' | 'direct' | 'proxied';
  redisKeyPrefix?: string;
  publicUrl?: string;
  clock?: TestClock;
  /** Where the node logs (a test that reads its log lines); the test configuration's level otherwise. */
  logger?: Logger;
}

/**
 * One Canopy node listening on a loopback port whose PostgreSQL and/or Redis connections can go
 * through TCP proxies a test cuts, hangs and restores (REL-2), without touching the shared servers.
 * `shared`: the database (and its schema) of the installation; a proxied database needs PostgreSQL.
 */
export async function startOutageNode(options: OutageNodeOptions): Promise<OutageNode> {
  const links: OutageNode['links'] = {};
  const { shared } = options;
  let database: Database = { ...shared.database, close: async () => {} };
  if (options.proxyDatabase) {
    const url = process.env.DATABASE_URL;
    if (!url || !shared.schema) throw new Error('a proxied database needs DATABASE_URL');
    links.database = await startTcpProxy(targetOf(url, 5432));
    database = await openDatabase({
      databaseUrl: via(url, links.database),
      dataDir: '',
      poolMax: 5,
      searchPath: shared.schema,
      ...(options.queryTimeoutMs ? { queryTimeoutMs: options.queryTimeoutMs } : {}),
    });
  }
  let redisUrl: string | null = null;
  if (options.redis !== 'none') {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error('Redis for a node needs REDIS_URL');
    if (options.redis === 'proxied') links.redis = await startTcpProxy(targetOf(url, 6379));
    redisUrl = links.redis ? via(url, links.redis) : url;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({
    server: { publicUrl: options.publicUrl ?? origin },
    storage: { redisUrl, redisKeyPrefix: options.redisKeyPrefix ?? `canopy-test:${randomUUID()}:` },
  });
  const dropLinks = async () => {
    await links.database?.close();
    await links.redis?.close();
  };
  let container: Container;
  try {
    container = await createContainer(config, {
      database,
      clock: options.clock ?? createTestClock(),
      logger: options.logger ?? createLogger(config.log.level),
    });
  } catch (err) {
    server.close();
    await dropLinks();
    throw err;
  }
  server.on('request', createApp(container));
  return {
    container,
    origin,
    links,
    async close() {
      links.database?.restore();
      links.redis?.restore();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
      await dropLinks();
    },
  };
}

/** A node over a test database of its own, closed with it: the start of most outage tests. */
export async function startLoneOutageNode(options: Omit<OutageNodeOptions, 'shared'>): Promise<OutageNode> {
  const shared = await openSharedDatabase();
  let node: OutageNode;
  try {
    node = await startOutageNode({ ...options, shared });
  } catch (err) {
    await shared.close();
    throw err;
  }
  return {
    ...node,
    async close() {
      await node.close();
      await shared.close();
    },
  };
}

/** A tenant signed up on `node`, the credentials of its first environment, and its owner's API token. */
export interface OutageTenant {
  t: Tenant;
  client: { clientId: string; clientSecret: string };
  bearer: string;
}

export async function signUpOutageTenant(node: OutageNode): Promise<OutageTenant> {
  const c = node.container;
  const t = await signUpTenant(c);
  const client = await c.credentials.read(t.owner, t.tenantId, {
    orgId: t.tenantId,
    environmentId: t.environments[0]!.id,
  });
  return { t, client, bearer: await userToken(c, t.user.id) };
}
