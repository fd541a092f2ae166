import { Command, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * Redis clients with bounded waits (REL-2): a Redis that is down or hung fails the requests that
 * need it at once or within `commandTimeoutMs` (503), never holds them. Commands and the
 * subscriber need separate connections (a subscribed connection runs no commands).
 */
export interface RedisClients {
  command: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

export interface RedisClientOptions {
  /** `storage.redisCommandTimeoutMs`: how long one command may wait for its answer. */
  commandTimeoutMs: number;
  /** How long the start waits for both connections before giving up. */
  readyTimeoutMs?: number;
}

/** Reconnect soon and keep trying, forever: service resumes by itself when Redis is back. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1_000);

const COMMON = {
  lazyConnect: false,
  connectTimeout: 5_000,
  retryStrategy: reconnectDelay,
} satisfies RedisOptions;

/** How many command timeouts a probe may take before Redis is taken as unresponsive. */
const PROBE_TIMEOUTS = 3;

const isTimeout = (err: unknown) => (err as Error | undefined)?.message === 'Command timed out';

/**
 * One command that times out fails alone: Redis may be slow for a moment (a fork for a snapshot, a
 * slow command), and dropping the connection then would fail every command in flight and take the
 * signal link down on every node at once (caches emptied). So a timeout starts a probe instead: a
 * PING, answered only after everything sent before it on this connection. Answered within
 * PROBE_TIMEOUTS command timeouts, the link holds. Unanswered, Redis is unresponsive: the
 * connection is dropped, so that the next commands fail at once (there is no offline queue) until
 * it has reconnected, rather than each waiting out its own timeout. (Counting consecutive timeouts
 * instead would not do: during one stall, every command in flight times out together.)
 */
class FailFastRedis extends Redis {
  #probing = false;
  /** Told when the connection is dropped for want of an answer. */
  onUnresponsive = () => {};

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const sent = super.sendCommand(command, stream);
    command.promise.catch((err: unknown) => {
      if (isTimeout(err)) this.#probe();
    });
    return sent;
  }

  #probe(): void {
    if (this.#probing || this.status !== 'ready') return;
    this.#probing = true;
    const link = this.stream;
    const ping = new Command('ping');
    // Set before sending: sendCommand leaves a command's own timeout in place of commandTimeout.
    ping.setTimeout(PROBE_TIMEOUTS * (this.options.commandTimeout ?? 1_000));
    ping.promise
      .catch((err: unknown) => {
        if (!isTimeout(err) || this.stream !== link || this.status !== 'ready') return;
        this.onUnresponsive();
        link.destroy();
      })
      .finally(() => {
        this.#probing = false;
      });
    super.sendCommand(ping); // not this.sendCommand: a probe does not start another probe
  }
}

/**
 * The command client fails fast while the link is down: no offline queue (a command sent while
 * disconnected is refused at once), no retry of a command whose connection dropped under it (it
 * may have run: a retry could count twice), and a command timeout for a Redis that accepts but
 * does not answer. The subscriber is the opposite: its SUBSCRIBE must wait for the link and be
 * replayed after every reconnect, so it queues and retries without limit.
 */
export async function createRedisClients(
  url: string,
  logger: Logger,
  options: RedisClientOptions,
): Promise<RedisClients> {
  const command = new FailFastRedis(url, {
    ...COMMON,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  command.onUnresponsive = () =>
    logger.warn({ client: 'command' }, 'redis did not answer a probe in time: connection dropped');
  const subscriber = new Redis(url, { ...COMMON, maxRetriesPerRequest: null, enableOfflineQueue: true });
  watch(command, 'command', logger);
  watch(subscriber, 'subscriber', logger);
  const close = async () => {
    await Promise.all([shut(command), shut(subscriber)]);
  };
  try {
    // Without an offline queue, the first commands of the start must find the link up.
    const within = options.readyTimeoutMs ?? 10_000;
    await Promise.all([ready(command, within), ready(subscriber, within)]);
  } catch (err) {
    await close();
    throw err;
  }
  return { command, subscriber, close };
}

function ready(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last = '';
    const onError = (err: Error) => {
      last = err.message;
    };
    const done = () => {
      clearTimeout(timer);
      client.off('ready', onReady).off('error', onError);
    };
    const onReady = () => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(`Redis did not answer within ${timeoutMs / 1000} s (REDIS_URL)${last ? `: ${last}` : ''}`),
      );
    }, timeoutMs);
    client.on('error', onError).once('ready', onReady);
  });
}

/** Clients being closed on purpose: their disconnection is not news. */
const closing = new WeakSet<Redis>();

/** QUIT when the link is up (bounded by the command timeout), then drop the socket for good. */
async function shut(client: Redis): Promise<void> {
  closing.add(client);
  try {
    if (client.status === 'ready') await client.quit();
  } catch {
    // a hung or lost link: disconnect below
  } finally {
    client.disconnect();
  }
}

/** One warning when a link is lost and one line when it is back, not one per reconnect attempt. */
function watch(client: Redis, name: string, logger: Logger): void {
  let warned = false;
  const warnOnce = (fields: Record<string, unknown>, message: string) => {
    if (closing.has(client)) return;
    if (warned) logger.debug({ ...fields, client: name }, message);
    else logger.warn({ ...fields, client: name }, message);
    warned = true;
  };
  client.on('ready', () => {
    if (warned) logger.info({ client: name }, 'redis connection restored');
    warned = false;
  });
  client.on('close', () => warnOnce({}, 'redis connection lost; reconnecting'));
  client.on('error', (err: Error) => warnOnce({ err: err.message }, 'redis connection error'));
}
