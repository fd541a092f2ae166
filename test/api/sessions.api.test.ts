import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient, openConsoleSession, sessionBoundToken } from '../helpers/api.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// Timeouts judged by the test clock. Access tokens live 15 minutes (by that clock in the SQL store),
// so each check uses a fresh token of the same session, minted when it is made.
const MINUTE = 60_000;

describe('admin API requests and the session idle clock (SESS-2)', () => {
  let env: TestEnv;
  let api: ApiClient;
  let t: Tenant;
  before(async () => {
    env = await createTestEnv();
    api = ApiClient.for(env.container);
    t = await signUpTenant(env.container);
    await env.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, {
      sessionTimeoutMinutes: 15,
    });
  });
  after(() => env.close());

  const me = async (session: Awaited<ReturnType<typeof openConsoleSession>>) =>
    (await api.call('get', '/me', { token: await sessionBoundToken(env.container, t.user.id, session) }))
      .status;

  test('SESS-2 an admin API request resets the idle clock; idle past the timeout, the session is over', async () => {
    const used = await openConsoleSession(env.container, t.user.id);
    const idle = await openConsoleSession(env.container, t.user.id);
    env.clock.advance(10 * MINUTE);
    assert.equal(await me(used), 200, 'used 10 min after sign-in');
    env.clock.advance(10 * MINUTE);
    assert.equal(await me(used), 200, '20 min after sign-in, 10 after the last use: alive');
    assert.equal(await me(idle), 401, 'never used: over 15 min after sign-in');
    env.clock.advance(16 * MINUTE);
    assert.equal(await me(used), 401, 'idle 16 min after the last use: over');
  });
});
