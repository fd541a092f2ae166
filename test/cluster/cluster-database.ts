import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';

/**
 * A throw-away database of the cluster's own on the suite's PostgreSQL server (DATABASE_URL names
 * the server and its credentials): the nodes, as real processes, cannot be pointed at a schema
 * of the suite's database, and dropping a whole database leaves nothing behind. Migrated here, once,
 * so that three nodes starting together do not race for the migration lock.
 */
export interface ClusterDatabase {
  /** The server's address, for the TCP proxies the nodes connect through. */
  server: { host: string; port: number };
  /** The cluster database's URL through `host:port` (a proxy's) instead of the server's. */
  urlVia(host: string, port: number): string;
  /** The test's own connection, straight to the server: to check what was written. */
  direct: Database;
  drop(): Promise<void>;
}

const PREFIX = 'canopy_cluster_';
/** This machine, in database names: a PostgreSQL shared by several machines holds others' too. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const ABANDONED_AFTER_S = 6 * 3600;

/**
 * Whether a cluster database was left behind (its test could not drop it: killed, crashed): made on
 * this machine by a process that is gone, or made anywhere more than six hours ago.
 */
function orphaned(datname: string): boolean {
  const [made, host, pidText] = datname.slice(PREFIX.length).split('_');
  const madeAt = Number(made);
  if (!Number.isInteger(madeAt)) return false;
  if (Date.now() / 1000 - madeAt > ABANDONED_AFTER_S) return true;
  const pid = Number(pidText);
  if (host !== HOST_TAG || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function createClusterDatabase(serverUrl: string): Promise<ClusterDatabase> {
  const name = `${PREFIX}${Math.floor(Date.now() / 1000)}_${HOST_TAG}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await openDatabase({ databaseUrl: serverUrl, dataDir: '', poolMax: 1 });
  try {
    const { rows } = (await admin.knex.raw('select datname from pg_database where starts_with(datname, ?)', [
      PREFIX,
    ])) as { rows: { datname: string }[] };
    for (const { datname } of rows.filter((r) => orphaned(r.datname)))
      await admin.knex.raw('drop database if exists ?? with (force)', [datname]);
    await admin.knex.raw('create database ??', [name]);
  } finally {
    await admin.close();
  }
  const base = new URL(serverUrl);
  base.pathname = `/${name}`;
  const direct = await openDatabase({ databaseUrl: base.toString(), dataDir: '', poolMax: 3 });
  await migrateToLatest(direct.knex);
  return {
    server: { host: base.hostname, port: Number(base.port || 5432) },
    urlVia(host, port) {
      const via = new URL(base);
      via.hostname = host;
      via.port = String(port);
      return via.toString();
    },
    direct,
    async drop() {
      await direct.close();
      const cleanup = await openDatabase({ databaseUrl: serverUrl, dataDir: '', poolMax: 1 });
      try {
        // WITH (FORCE) (PostgreSQL 13+): a node killed mid-query may leave a backend behind for a moment.
        await cleanup.knex.raw('drop database if exists ?? with (force)', [name]);
      } finally {
        await cleanup.close();
      }
    },
  };
}
