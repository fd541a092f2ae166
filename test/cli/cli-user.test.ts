import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SignInResult } from '../../src/modules/sign-in/index.ts';
import { addUser, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, runAgainst, uniqueDomain } from './run-cli.ts';

describe('operator command line, in-process: user unlock', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const run = (argv: string[]) => runAgainst(env.container, argv);
  const outcome = (r: SignInResult) => (r.ok ? 'ok' : r.reason);

  test('SEC-6 user unlock lifts every lockout of the username at once, and is audited as the operator', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('unlock') });
    const user = await addUser(c, t.tenantId);
    const attempt = (password: string, ip: string) =>
      c.signIn.authenticate(
        { actor: { kind: 'anonymous' }, requestId: 'req-cli-test' },
        { tenantId: t.tenantId, username: user.username, password, ip },
      );
    const attacker = '198.51.100.200';
    for (let i = 0; i < 5; i++)
      assert.equal(outcome(await attempt(`guess ${i}`, attacker)), 'invalid_credentials');
    assert.equal(outcome(await attempt(PASSWORD, attacker)), 'throttled');

    const r = await run(['user', 'unlock', t.organization.domain!, user.username.toUpperCase()]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `Unlocked sign-in for ${user.username} (${user.id}) in ${t.organization.domain}: 1 lockout lifted.\n` +
        'The unlock is recorded in the audit log (action user.unlock).\n',
    );
    assert.equal(outcome(await attempt(PASSWORD, attacker)), 'ok', 'signs in from the locked address');

    const json = await run(['user', 'unlock', '--json', t.organization.domain!, user.username]);
    assert.equal(json.code, 0, json.err);
    assert.deepEqual(JSON.parse(json.out), {
      tenantId: t.tenantId,
      userId: user.id,
      username: user.username,
      lockoutsLifted: 0,
    });
    const rows = await c.audit.list(t.tenantId, { action: 'user.unlock', limit: 10 });
    assert.deepEqual(
      rows.map((row) => [row.actorType, row.actorId, row.targetId, row.after]),
      [
        ['operator', OPERATOR, user.id, { username: user.username, lockoutsLifted: 0 }],
        ['operator', OPERATOR, user.id, { username: user.username, lockoutsLifted: 1 }],
      ],
    );
  });

  test('SEC-6 user unlock refuses an unknown organization or user (1) and malformed arguments (2)', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('nobody') });
    const domain = t.organization.domain!;
    const unknownOrg = await run(['user', 'unlock', 'no-such-domain', 'founder']);
    assert.deepEqual(
      [unknownOrg.code, unknownOrg.err],
      [1, 'error: no master organization has the domain "no-such-domain"\n'],
    );
    const unknownUser = await run(['user', 'unlock', domain, 'nobody-here']);
    assert.deepEqual(
      [unknownUser.code, unknownUser.err],
      [1, `error: no user "nobody-here" in the organization ${domain}\n`],
    );
    const badName = await run(['user', 'unlock', domain, 'bad name!']);
    assert.equal(badName.code, 2);
    assert.match(badName.err, /invalid for argument 'username'/);
    const missing = await run(['user', 'unlock', domain]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /missing required argument 'username'/);
    assert.equal(badName.out + missing.out, '');
  });
});
