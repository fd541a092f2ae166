import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import {
  type DevicePollStore,
  type PollRule,
  redisDevicePollStore,
  sqlDevicePollStore,
} from './device-poll-store.ts';
import { requestLog } from './provider-throttle.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * RFC 8628: a device polls every 5 seconds (§3.2, the default the RFC names), and each poll of a
 * pending code that comes sooner is answered `slow_down` and adds 5 seconds to that code's interval
 * for good (§3.5). The record outlives the device code (10 minutes, configuration.ts), never less.
 */
export const DEVICE_POLL_RULE: PollRule = {
  intervalSeconds: 5,
  slowDownSeconds: 5,
  lifetimeSeconds: 10 * 60,
};

export interface DevicePollingDeps {
  /** Canopy's Redis command client: the records are then shared by every node. */
  redis: Redis | undefined;
  /** `REDIS_KEY_PREFIX`. */
  prefix: string;
  db: Knex;
  clock: Clock;
  logger: Logger;
}

/**
 * A provider middleware that holds device-code pollers to an interval: it tells it in every device
 * authorization response, and turns a pending answer to a poll that came too early into
 * `slow_down`. Only pending answers are judged (§3.5: `slow_down` is a variant of
 * `authorization_pending`): an approved or denied code answers at once. Create once per node.
 */
export function createDevicePolling(deps: DevicePollingDeps) {
  const store: DevicePollStore = deps.redis
    ? redisDevicePollStore({ redis: deps.redis, prefix: deps.prefix, rule: DEVICE_POLL_RULE })
    : sqlDevicePollStore({ db: deps.db, rule: DEVICE_POLL_RULE });

  return async function pollAtInterval(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    await next();
    const route = ctx.oidc?.route;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (route === 'device_authorization' && ctx.status === 200 && typeof body?.device_code === 'string') {
      ctx.body = { ...body, interval: DEVICE_POLL_RULE.intervalSeconds };
      return;
    }
    const deviceCode = ctx.oidc?.params?.device_code;
    if (
      route !== 'token' ||
      body?.error !== 'authorization_pending' ||
      ctx.oidc.params?.grant_type !== DEVICE_CODE_GRANT ||
      typeof deviceCode !== 'string'
    )
      return;
    // Keyed by a hash: the device code is a bearer secret while it is pending.
    const key = createHash('sha256').update(deviceCode).digest('base64url');
    let verdict: Awaited<ReturnType<DevicePollStore['poll']>>;
    try {
      verdict = await store.poll(key, deps.clock.now().getTime());
    } catch (err) {
      // Pacing is a courtesy to the server, not a protection: without its store, answer as pending.
      requestLog(ctx, deps.logger).warn(
        { err: (err as Error).message },
        'device flow: could not judge the polling interval',
      );
      return;
    }
    if (!verdict.tooEarly) return;
    const slowDown = new errors.SlowDown();
    ctx.status = slowDown.statusCode;
    ctx.body = {
      error: slowDown.error,
      error_description: `${slowDown.error_description}: poll at most every ${verdict.intervalSeconds} seconds`,
    };
  };
}
