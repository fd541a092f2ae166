import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { type Child, exitWithin, GiveUp, reservedPort, waitUntil } from '../helpers/child-processes.ts';
import { type OutputLog, spawnLogged } from './processes.ts';

/**
 * A redis-server of the test's own, without persistence (as Redis is often run): restarting or
 * flushing it disturbs no other test, and a restart comes back empty.
 */
export interface PrivateRedis {
  readonly url: string;
  /** SIGKILLs the server: everything it held is gone (there is no persistence to come back from). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** FLUSHALL: every key of every database is dropped. */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

export const REDIS_SERVER = 'redis-server';

export async function startPrivateRedis(log: OutputLog): Promise<PrivateRedis> {
  const port = await reservedPort();
  const dir = mkdtempSync(path.join(tmpdir(), 'canopy-cluster-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  let server: Child;

  async function start(): Promise<void> {
    server = spawnLogged('redis', REDIS_SERVER, [...args, '--dir', dir, '--loglevel', 'warning'], {
      env: process.env,
      log,
    });
    await waitUntil(`redis-server on port ${port} answers`, () => command((r) => r.ping()).then(() => true), {
      ms: 20_000,
    });
  }

  /** One command on a short-lived connection that gives up at once when the server is away. */
  async function command<T>(run: (redis: Redis) => Promise<T>): Promise<T> {
    if (server.ended()) throw new GiveUp('redis-server has exited');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {}); // reported by the command's own rejection
    try {
      await redis.connect();
      return await run(redis);
    } finally {
      redis.disconnect();
    }
  }

  await start();
  return {
    url,
    async kill() {
      server.proc.kill('SIGKILL');
      await exitWithin(server, 10_000, 'redis-server after SIGKILL');
    },
    start,
    async flushAll() {
      await command((r) => r.flushall());
    },
    async stop() {
      if (!server.ended()) {
        server.proc.kill('SIGKILL');
        await exitWithin(server, 10_000, 'redis-server after SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
