import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { killChildren, reservedPort } from '../helpers/child-processes.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { CanopyNode } from './canopy-node.ts';
import { type ClusterDatabase, createClusterDatabase } from './cluster-database.ts';
import { HAPROXY_BINARY, type Haproxy, startHaproxy } from './haproxy.ts';
import { type PrivateRedis, REDIS_SERVER, startPrivateRedis } from './private-redis.ts';
import { OutputLog } from './processes.ts';
import { seedWorld, type World } from './world.ts';

// REL-5's cluster: three real Canopy processes behind HAProxy (docs/haproxy/canopy.cfg), on a
// database of their own on the suite's PostgreSQL, each node reaching it through a TCP proxy of
// the test (so PostgreSQL can be "lost" without touching the shared server), and a private Redis.

/** Health checks every 500 ms, down after 2 failures: a node is out within about a second… */
const CHECK_INTERVAL = '500ms';
/** …so a stopping node that keeps serving for 3 s while its /readyz says 503 is out before it closes. */
const DRAIN_DELAY_SECONDS = 3;

export interface Cluster {
  /** HAProxy's frontend: the installation's PUBLIC_URL, where every client goes. */
  readonly url: string;
  readonly nodes: readonly CanopyNode[];
  /** Each node's link to PostgreSQL, by node index: cut and restore it. */
  readonly pgLinks: readonly TcpProxy[];
  readonly redis: PrivateRedis;
  readonly haproxy: Haproxy;
  /** The test's own connection to the cluster's database (not through the links). */
  readonly db: Knex;
  readonly world: World;
  /** Everything the processes said (the tail of it). */
  readonly log: OutputLog;
  /** Starts a stopped node again on its port and waits until HAProxy routes to it. */
  restart(node: CanopyNode): Promise<void>;
  /** Waits until HAProxy's checks see every node ready. */
  allUp(): Promise<void>;
  close(): Promise<void>;
}

/** Why the cluster test cannot run here, or false when it can. */
export function clusterSkipReason(): string | false {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL)
    return 'REL-5 cluster test: runs in the PostgreSQL + Redis pass (DATABASE_URL and REDIS_URL not both set)';
  if (!HAPROXY_BINARY) return 'REL-5 cluster test: haproxy is not installed (Debian package haproxy)';
  if (spawnSync(REDIS_SERVER, ['--version']).status !== 0)
    return 'REL-5 cluster test: redis-server is not installed (it runs a private Redis)';
  return false;
}

/** Starts the whole cluster; `usernames` are the people the scenarios will sign in as. */
export async function startCluster(options: { usernames: readonly string[] }): Promise<Cluster> {
  const log = new OutputLog();
  const cleanups: (() => Promise<void> | void)[] = [];
  const starting: Promise<unknown>[] = [];
  /** Starts something the cluster owns; once it is up, `close` stops it. */
  const owned = <T>(start: Promise<T>, stop: (started: T) => Promise<void> | void): Promise<T> => {
    const up = start.then((started) => {
      cleanups.push(() => stop(started));
      return started;
    });
    starting.push(up);
    return up;
  };
  const close = async () => {
    await Promise.allSettled(starting); // what is still starting is stopped too
    killChildren(); // nodes first: nothing should write while the rest goes away
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((err: Error) => log.note(`cleanup failed: ${err.message}`));
    }
  };
  try {
    // The nodes listen only once HAProxy, Redis and the database are up: ports nothing else takes meanwhile.
    const ports = [await reservedPort(), await reservedPort(), await reservedPort()];
    // Independent of each other: started together.
    const [database, redis, haproxy] = await Promise.all([
      owned(createClusterDatabase(process.env.DATABASE_URL!), (db: ClusterDatabase) => db.drop()),
      owned(startPrivateRedis(log), (r) => r.stop()),
      owned(
        startHaproxy(
          ports.map((p) => `127.0.0.1:${p}`),
          { log, checkInterval: CHECK_INTERVAL },
        ),
        (h) => h.stop(),
      ),
    ]);
    const pgLinks = await Promise.all(
      [0, 1, 2].map(() => owned(startTcpProxy(database.server), (link) => link.close())),
    );

    const secretsKey = randomBytes(32).toString('hex');
    const world = await seedWorld({
      databaseUrl: database.urlVia(database.server.host, database.server.port),
      redisUrl: redis.url,
      secretsKey,
      publicUrl: haproxy.url,
      usernames: options.usernames,
    });
    const nodes = ports.map((port, i) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), `canopy-cluster-node${i + 1}-`));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      return new CanopyNode(
        `node${i + 1}`,
        port,
        {
          PUBLIC_URL: haproxy.url,
          TRUST_PROXY: 'true',
          PROXY_HOPS: '1',
          DRAIN_DELAY_SECONDS: String(DRAIN_DELAY_SECONDS),
          SHUTDOWN_TIMEOUT_SECONDS: '5',
          DATABASE_URL: database.urlVia('127.0.0.1', pgLinks[i]!.port),
          REDIS_URL: redis.url,
          SECRETS_KEY: secretsKey,
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          // The scenarios' traffic comes from one address and one token: no throttle in the way.
          API_RATE_LIMIT_PER_MINUTE: '1000000',
          ANONYMOUS_PER_ADDRESS_PER_MINUTE: '100000',
          MAX_BUSINESS_GROUPS: '100000',
        },
        log,
      );
    });
    await Promise.all(nodes.map((node) => node.start()));
    const allUp = async () => {
      for (const node of nodes) await haproxy.waitFor(node.name, 'UP');
    };
    await allUp();
    return {
      url: haproxy.url,
      nodes,
      pgLinks,
      redis,
      haproxy,
      db: database.direct.knex,
      world,
      log,
      async restart(node) {
        await node.start();
        await haproxy.waitFor(node.name, 'UP');
      },
      allUp,
      close,
    };
  } catch (err) {
    const message = `${(err as Error).message}\n--- cluster output ---\n${log.text()}`;
    await close();
    throw new Error(message);
  }
}

/** Runs a scenario; when it fails, the processes' output is appended to the failure. */
export async function withClusterLog(cluster: Cluster, scenario: () => Promise<void>): Promise<void> {
  try {
    await scenario();
  } catch (err) {
    const error = err as Error;
    const output = `\n--- cluster output (tail) ---\n${cluster.log.text().slice(-20_000)}`;
    error.message += output;
    // node:test prints the stack, which was written with the message as it was when thrown.
    if (error.stack) error.stack += output;
    throw error;
  }
}
