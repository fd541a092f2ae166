import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type CliServices, runCli } from '../../src/cli/program.ts';
import { readFirstLine } from '../../src/cli/stdin.ts';
import { AppError } from '../../src/platform/errors/index.ts';
import { signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, uniqueDomain } from './run-cli.ts';

// SEC-12: a command refused with a 403 is audited (`access.denied`) by the runner, once for every
// command. No command refuses the operator today, so a service here refuses as a future check would.

describe('operator command line: refused commands are audited (SEC-12)', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  async function run(services: CliServices, argv: string[]) {
    const result = { code: -1, err: '' };
    result.code = await runCli(argv, {
      services: async () => services,
      migrate: async () => ({ applied: [], database: 'test database' }),
      stdout: () => {},
      stderr: (text) => {
        result.err += text;
      },
      readStdinLine: () => readFirstLine(Readable.from(['']), process.stderr),
      env: {},
      operatorName: OPERATOR,
    });
    return result;
  }
  /** The container, with an unlock that refuses as a permission check does. */
  const refusing = (audit = env.container.audit): CliServices => ({
    ...env.container,
    audit,
    signIn: {
      ...env.container.signIn,
      unlock: async () => {
        throw new AppError('auth.permission_denied', { permission: 'users.manage' });
      },
    },
  });
  const denials = () =>
    env.container.database.knex('audit_log').where({ action: 'access.denied' }).orderBy('id').select('*');

  test('SEC-12 a command refused with a 403 leaves an access.denied entry naming the command, not its arguments', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('refused') });
    const secretish = `someone-${Date.now()}`;
    const before = (await denials()).length;
    const r = await run(refusing(), ['user', 'unlock', t.organization.domain!, secretish]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^error: Missing permission/);
    const rows = await denials();
    assert.equal(rows.length, before + 1);
    const entry = rows.at(-1)!;
    assert.deepEqual(
      [entry.tenant_id, entry.actor_type, entry.actor_id, entry.outcome, entry.after],
      [
        null,
        'operator',
        OPERATOR,
        'failure',
        { command: 'user unlock', code: 'auth.permission_denied', permission: 'users.manage' },
      ],
    );
    assert.ok(!JSON.stringify(rows).includes(secretish));

    // Other failures are not refusals: nothing is added.
    const notFound = await run(env.container, ['user', 'unlock', t.organization.domain!, secretish]);
    assert.equal(notFound.code, 1);
    assert.equal((await denials()).length, before + 1);
  });

  test('SEC-12 when the refusal cannot be audited, the command still fails as refused and says so', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('unaudited') });
    const broken = {
      ...env.container.audit,
      recordNow: async () => {
        throw new Error('audit log unavailable');
      },
    };
    const r = await run(refusing(broken), ['user', 'unlock', t.organization.domain!, 'anyone']);
    assert.equal(r.code, 1);
    assert.match(r.err, /could not record the refusal in the audit log: audit log unavailable/);
    assert.match(r.err, /error: Missing permission/);
  });
});
