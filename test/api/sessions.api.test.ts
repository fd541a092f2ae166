import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openConsoleSession, sessionBoundToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';

// Timeouts judged by the test clock. Access tokens live 15 minutes (by that clock in the SQL store),
// so each check uses a fresh token of the same session, minted when it is made.
const MINUTE = 60_000;

const { container: c, clock, api, t } = await apiSuite();
await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { sessionTimeoutMinutes: 15 });

describe('admin API requests and the session idle clock (SESS-2)', () => {
  const me = async (session: Awaited<ReturnType<typeof openConsoleSession>>) =>
    (await api.call('get', '/me', { token: await sessionBoundToken(c, t.user.id, session) })).status;

  test('SESS-2 an admin API request resets the idle clock; idle past the timeout, the session is over', async () => {
    const used = await openConsoleSession(c, t.user.id);
    const idle = await openConsoleSession(c, t.user.id);
    clock.advance(10 * MINUTE);
    assert.equal(await me(used), 200, 'used 10 min after sign-in');
    clock.advance(10 * MINUTE);
    assert.equal(await me(used), 200, '20 min after sign-in, 10 after the last use: alive');
    assert.equal(await me(idle), 401, 'never used: over 15 min after sign-in');
    clock.advance(16 * MINUTE);
    assert.equal(await me(used), 401, 'idle 16 min after the last use: over');
  });
});
