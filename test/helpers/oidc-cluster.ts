import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { type ConfigOverrides, testConfig } from './test-container.ts';
import { backend, openTestDatabase } from './test-database.ts';

export interface ClusterNode {
  container: Container;
  /** Where this node listens; the installation's public URL (the issuer) is the first node's. */
  origin: string;
  close(): Promise<void>;
}

export interface OidcCluster {
  /** The public URL of the installation, shared by every node. */
  issuer: string;
  clock: TestClock;
  nodes: ClusterNode[];
  /** Starts one more node over the same database (and Redis prefix): a restart, or a scale-out. */
  startNode(): Promise<ClusterNode>;
  close(): Promise<void>;
}

async function listen(): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * Several Canopy nodes of one installation in this process: one database (in-memory PGlite or a
 * PostgreSQL schema), one Redis prefix when REDIS_URL is set, one test clock, one public URL. Each
 * node has its own container (its own provider, caches and in-memory indexes) and HTTP port; on
 * PostgreSQL each also has its own connection pool on the schema, as a separate process would (the
 * embedded database can only be shared as the same object). Without Redis the nodes share no
 * signal bus: only what is in the database is shared.
 */
export async function startOidcCluster(
  count: number,
  /**
   * `clockStart`: where the shared test clock starts (default: the test clock's own start);
   * `config`: settings every node shares (the public URL and storage are the cluster's).
   */
  options: { clockStart?: Date; config?: ConfigOverrides } = {},
): Promise<OidcCluster> {
  const database = await openTestDatabase();
  // Every container closes "its" database; the real one is closed once, with the cluster.
  const shared: Database = { knex: database.knex, kind: database.kind, close: async () => {} };
  const schema =
    backend === 'postgres'
      ? ((await database.knex.raw('select current_schema() as schema')) as { rows: { schema: string }[] })
          .rows[0]!.schema
      : undefined;
  /** The first node uses the test database itself; later ones, on PostgreSQL, a pool of their own. */
  const databaseForNode = async (): Promise<Database> =>
    nodes.length === 0 || schema === undefined
      ? shared
      : openDatabase({ databaseUrl: process.env.DATABASE_URL!, dataDir: '', poolMax: 5, searchPath: schema });
  const clock = createTestClock(options.clockStart);
  const redisKeyPrefix = `canopy-test:${randomUUID()}:`;
  const nodes: ClusterNode[] = [];
  let issuer: string | undefined;

  async function startNode(): Promise<ClusterNode> {
    const { server, origin } = await listen();
    issuer ??= origin;
    const config = testConfig({
      ...options.config,
      server: { ...options.config?.server, publicUrl: issuer },
      storage: { redisUrl: process.env.REDIS_URL || null, redisKeyPrefix },
    });
    const own = await databaseForNode();
    let container: Container;
    try {
      container = await createContainer(config, {
        database: own,
        clock,
        logger: createLogger(config.log.level),
      });
    } catch (err) {
      await own.close();
      server.close();
      throw err;
    }
    server.on('request', createApp(container));
    let closed = false;
    const node: ClusterNode = {
      container,
      origin,
      async close() {
        if (closed) return;
        closed = true;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await container.close();
      },
    };
    nodes.push(node);
    return node;
  }

  for (let i = 0; i < count; i++) await startNode();
  return {
    get issuer() {
      return issuer!;
    },
    clock,
    nodes,
    startNode,
    async close() {
      for (const node of nodes) await node.close();
      await database.close();
    },
  };
}
