import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import type { Container } from '../../src/container.ts';

/**
 * Waits (10 s at most) until the provider publishes the signing keys the database holds. A
 * provider rebuild set off by a key change must end before the container closes: one still
 * reading keys then waits a minute for a connection of the closed pool, holding the file open.
 */
export async function providerCaughtUp(c: Container): Promise<void> {
  const app = createApp(c);
  const kids = (keys: Array<{ kid?: string }> = []) => keys.map((k) => k.kid).join(' ');
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(20)) {
    const held = kids((await c.signingKeys.providerJwks()).keys);
    if (kids((await request(app).get('/oidc/jwks')).body.keys) === held) return;
  }
}
