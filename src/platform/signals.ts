import { randomUUID } from 'node:crypto';
import { AppError } from './errors/index.ts';
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
  /**
   * Whether this node hears the other nodes' signals and can send its own, now. A cache that a
   * signal invalidates must not answer while this is false: a change made elsewhere meanwhile would
   * not reach it (REL-2). Always true for one node without Redis.
   */
  isLive(): boolean;
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
    isLive: () => true,
  };
}

/** Refuses a change that other nodes could not be told about, before anything is changed (503). */
export function assertSignalsLive(signals: Pick<SignalBus, 'isLive'>): void {
  if (signals.isLive()) return;
  throw new AppError('service.unavailable', undefined, {
    message: 'Other nodes cannot be told about this change now (Redis is unavailable): nothing was changed',
  });
}

/**
 * Tells the other nodes about a change that is already committed and was checked with
 * `assertSignalsLive` before it was made (REL-2). If the link broke in between, the request still
 * succeeds: the change is saved, and a secret shown once must not be lost to a 503. The failure is
 * logged at error level. Other nodes then: one whose own link broke too drops its caches when it is
 * back (resync); one that stayed connected has not heard and may use the previous state until its
 * cache entry expires, a minute at most (the lifetime of the client and secret caches).
 */
export async function announceSaved(
  signals: SignalBus,
  logger: Pick<Logger, 'error'>,
  channel: string,
  message: string,
): Promise<void> {
  try {
    await signals.publish(channel, message);
  } catch (err) {
    logger.error(
      { err: (err as Error)?.message, channel, change: message },
      'a saved change could not be announced to other nodes: they may use the previous state for up to a minute',
    );
  }
}

export interface RedisSignalOptions {
  /** How often the subscriber link is pinged, and how long an answer may take: a hung link is a lost one. */
  heartbeatMs?: number;
}

export function createRedisSignalBus(
  redis: RedisClients,
  prefix: string,
  logger: Logger,
  options: RedisSignalOptions = {},
): SignalBus {
  const local = createLocalSignalBus();
  const nodeId = randomUUID();
  const resync: Array<() => void> = [];
  const subscribed = new Set<string>();
  const { subscriber } = redis;
  // Live: subscribed on the current connection, and it answers. False from the moment the link
  // drops or a heartbeat goes unanswered until every subscription is confirmed again.
  let live = subscriber.status === 'ready';
  let joins = 0;
  let warned = false; // once per break, not once per reconnect attempt
  const down = (why: string) => {
    live = false;
    if (!warned) logger.warn({ why }, 'signal link to Redis down: caches kept fresh by signals are bypassed');
    warned = true;
  };

  subscriber.on('message', (fullChannel: string, raw: string) => {
    if (!fullChannel.startsWith(prefix)) return;
    const separator = raw.indexOf(' ');
    if (raw.slice(0, separator) === nodeId) return; // our own publish, already delivered locally
    void local.publish(fullChannel.slice(prefix.length), raw.slice(separator + 1));
  });
  subscriber.on('close', () => {
    live = false;
  });
  subscriber.on('reconnecting', () => down('connection lost'));
  subscriber.on('ready', () => void rejoin());

  /**
   * ioredis emits 'ready' before it replays the subscriptions: one more SUBSCRIBE, answered after
   * them, confirms they hold. Only then are signals heard again; what was missed meanwhile is
   * dropped by the resync handlers before any cache answers again.
   */
  async function rejoin(): Promise<void> {
    const attempt = ++joins;
    try {
      if (subscribed.size > 0) await subscriber.subscribe(...[...subscribed].map((c) => prefix + c));
    } catch {
      return; // the link broke again: the next 'ready' tries again
    }
    if (attempt !== joins || subscriber.status !== 'ready') return;
    for (const h of resync) h();
    live = true;
    warned = false;
    logger.info('signal link to Redis back: caches dropped, signals heard again');
  }

  // A link can hang without closing (no RST from a partitioned peer): an unanswered ping ends it,
  // and the reconnect that follows resyncs like any other.
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  let beating = false;
  const heartbeat = setInterval(() => void beat(), heartbeatMs).unref();
  const ended = () => subscriber.status === 'end'; // closed with the container
  async function beat(): Promise<void> {
    if (ended()) {
      clearInterval(heartbeat);
      return;
    }
    if (!live || beating) return;
    beating = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('heartbeat timed out')), heartbeatMs);
      });
      await Promise.race([subscriber.ping(), timeout]);
    } catch {
      if (!ended() && live) {
        down('no answer to a heartbeat');
        subscriber.stream?.destroy(); // a FIN would wait on the silent peer: drop the socket, reconnect
      }
    } finally {
      clearTimeout(timer);
      beating = false;
    }
  }

  return {
    async publish(channel, message) {
      await local.publish(channel, message);
      await redis.command.publish(prefix + channel, `${nodeId} ${message}`);
    },
    async subscribe(channel, handler) {
      await local.subscribe(channel, handler);
      if (subscribed.has(channel)) return;
      subscribed.add(channel);
      await subscriber.subscribe(prefix + channel);
    },
    onResync(handler) {
      resync.push(handler);
    },
    isLive: () => live && subscriber.status === 'ready' && redis.command.status === 'ready',
  };
}
