import type { Logger } from './logger.ts';
import type { RedisClients } from './redis.ts';

/** Published with `{ clientId }` when a client's metadata or secret changes (apps, credentials). */
export const CLIENTS_CHANGED = 'clients.changed';

/**
 * Cross-node notifications ("tenant X changed"). Local subscribers always hear a publish at once;
 * with Redis, every other node hears it through pub/sub. Without Redis there is one node.
 */
export interface SignalBus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  /** Called when the link to other nodes came back after a break: signals may have been missed. */
  onResync(handler: () => void): void;
}

export function createLocalSignalBus(): SignalBus {
  const handlers = new Map<string, Array<(m: string) => void>>();
  return {
    async publish(channel, message) {
      for (const h of handlers.get(channel) ?? []) h(message);
    },
    async subscribe(channel, handler) {
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler]);
    },
    onResync() {},
  };
}

export function createRedisSignalBus(redis: RedisClients, prefix: string, logger: Logger): SignalBus {
  const local = createLocalSignalBus();
  const nodeId = crypto.randomUUID();
  const resync: Array<() => void> = [];
  const subscribed = new Set<string>();
  let wasReady = false;

  redis.subscriber.on('message', (fullChannel: string, raw: string) => {
    if (!fullChannel.startsWith(prefix)) return;
    const separator = raw.indexOf(' ');
    if (raw.slice(0, separator) === nodeId) return; // our own publish, already delivered locally
    void local.publish(fullChannel.slice(prefix.length), raw.slice(separator + 1));
  });
  redis.subscriber.on('ready', () => {
    if (wasReady) {
      logger.info('redis subscriber reconnected; dropping caches that may have missed signals');
      for (const h of resync) h();
    }
    wasReady = true;
  });

  return {
    async publish(channel, message) {
      await local.publish(channel, message);
      await redis.command.publish(prefix + channel, `${nodeId} ${message}`);
    },
    async subscribe(channel, handler) {
      await local.subscribe(channel, handler);
      if (subscribed.has(channel)) return;
      subscribed.add(channel);
      await redis.subscriber.subscribe(prefix + channel);
    },
    onResync(handler) {
      resync.push(handler);
    },
  };
}
