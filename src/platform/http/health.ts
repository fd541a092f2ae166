import { Router } from 'express';
import type { Knex } from 'knex';
import type { Registry } from 'prom-client';
import type { RedisClients } from '../redis.ts';

/** Liveness, readiness (the database and, when configured, Redis answer) and Prometheus metrics. */
export function healthRoutes(deps: {
  db: Knex;
  redis: RedisClients | undefined;
  registry: Registry;
  /** True once the process is shutting down: readiness fails first, so the load balancer moves on. */
  isDraining?: () => boolean;
}): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (deps.isDraining?.()) {
      res.status(503).json({ status: 'draining', checks: {} });
      return;
    }
    const checks = {
      database: await probe(async () => {
        await deps.db.raw('select 1');
      }),
      ...(deps.redis
        ? {
            redis: await probe(async () => {
              await deps.redis!.command.ping();
            }),
          }
        : {}),
    };
    const ready = Object.values(checks).every((c) => c === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}

/** REL-2: a hung dependency is reported as failing within a second, not when its driver gives up. */
async function probe(check: () => Promise<void>, timeoutMs = 1_000): Promise<'ok' | 'failing'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'failing'>((resolve) => {
    timer = setTimeout(() => resolve('failing'), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => 'ok' as const), timeout]);
  } catch {
    return 'failing';
  } finally {
    clearTimeout(timer);
  }
}
