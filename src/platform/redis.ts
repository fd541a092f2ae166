import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * Redis clients with bounded waits: a hung Redis must fail requests fast, not queue them forever.
 * Commands and the subscriber need separate connections (a subscribed connection runs no commands).
 */
export interface RedisClients {
  command: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

export function createRedisClients(url: string, logger: Logger): RedisClients {
  const options = {
    lazyConnect: false,
    connectTimeout: 5_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  };
  const command = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, commandTimeout: undefined });
  for (const [name, client] of [
    ['command', command],
    ['subscriber', subscriber],
  ] as const) {
    client.on('error', (err: Error) =>
      logger.warn({ err: err.message, client: name }, 'redis connection error'),
    );
  }
  return {
    command,
    subscriber,
    async close() {
      await Promise.allSettled([command.quit(), subscriber.quit()]);
    },
  };
}
