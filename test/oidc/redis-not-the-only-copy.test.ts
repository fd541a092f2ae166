import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import * as client from 'openid-client';
import type { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  authorize,
  introspect,
  oauthError,
  refresh,
  registerServiceApp,
  registerWebApp,
  signIn,
  type Tokens,
  userinfo,
} from '../helpers/sso-session.ts';
import { keysUnder, wipePrefix } from './adapters.cache-helpers.ts';

// REL-3 through the provider, over HTTP: Redis holds copies only. Wiping every key of this
// installation's prefix (what a Redis flush, or a restart without persistence, does to it) signs
// nobody out and ends no token; a token revoked before the wipe stays revoked after it.

/** The provider's cache refuses copies for a write window after its namespace is created. */
const BLACKOUT_MS = 6_000;

const redisUrl = process.env.REDIS_URL;
describe('REL-3 a Redis flush logs nobody out', {
  skip: redisUrl ? false : 'REDIS_URL is not set: nothing to flush',
}, () => {
  let s: OidcTestServer;
  let redis: Redis;
  let prefix: string;
  let web: client.Configuration;
  let service: client.Configuration;
  before(async () => {
    s = await startOidcServer();
    redis = s.container.redis!.command;
    prefix = s.container.config.storage.redisKeyPrefix;
    const t = await signUpTenant(s.container);
    web = (await registerWebApp(s.container, t.owner, t.tenantId, s.issuer)).rp;
    service = (
      await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
        { organizationId: t.tenantId, permissions: ['audit.view'] },
      ])
    ).rp;
    // Copies made from now on land in Redis, so that the wipe below really removes them.
    await sleep(BLACKOUT_MS);
  });
  after(async () => {
    await wipePrefix(redis, prefix);
    await s.close();
  });

  /** Whether Redis holds a copy of this token (its opaque value is its id). */
  async function cached(model: string, value: string): Promise<boolean> {
    const found = await keysUnder(redis, `${prefix}oidc-cache:*:${model}:${value}`);
    return found.length === 1 && (await redis.hexists(found[0]!, 'payload')) === 1;
  }

  test('REL-3 after a flush, the session, grant, refresh token, access token and client-credentials token all still work', async () => {
    const { tokens, browser } = await signIn(web);
    const machine = (await client.clientCredentialsGrant(service)).access_token;
    assert.ok(await cached('AccessToken', tokens.access_token), 'the access token was cached');
    assert.ok(await cached('RefreshToken', tokens.refresh_token!), 'the refresh token was cached');
    assert.ok(await cached('ClientCredentials', machine), 'the client-credentials token was cached');

    assert.ok((await wipePrefix(redis, prefix)) > 0, 'the flush removed keys');

    assert.equal((await introspect(web, tokens.access_token)).active, true, 'access token');
    assert.equal((await introspect(web, machine)).active, true, 'client-credentials token');
    assert.equal((await introspect(web, tokens.refresh_token!)).active, true, 'refresh token');
    assert.ok((await userinfo(web, tokens)).sub, 'userinfo answers');
    const refreshed = await refresh(web, tokens); // the refresh token, and the grant it names
    assert.equal((await introspect(web, refreshed.access_token)).active, true, 'refreshed');
    await assertStillSignedIn(browser, 'after the flush');
  });

  test('REL-3 a token revoked before a flush stays revoked after it, and after a second one', async () => {
    const { tokens } = await signIn(web);
    const machine = (await client.clientCredentialsGrant(service)).access_token;
    await client.tokenRevocation(web, tokens.refresh_token!);
    await client.tokenRevocation(service, machine);
    const revoked = async (when: string) => {
      assert.equal((await introspect(web, tokens.refresh_token!)).active, false, `refresh token, ${when}`);
      assert.equal((await introspect(web, machine)).active, false, `client-credentials token, ${when}`);
      assert.equal(await oauthError(refresh(web, tokens)), 'invalid_grant', `refresh, ${when}`);
    };
    await revoked('before the flush');
    await wipePrefix(redis, prefix);
    await revoked('after the flush');
    await wipePrefix(redis, prefix);
    await revoked('after a second flush');
  });

  async function assertStillSignedIn(browser: TestBrowser, when: string): Promise<Tokens> {
    const next = await authorize(web, browser);
    assert.equal(next.kind, 'signed-in', `the browser's session is still alive ${when}`);
    return next.kind === 'signed-in' ? next.tokens : assert.fail();
  }
});
