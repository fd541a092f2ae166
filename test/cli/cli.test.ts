import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '../../src/platform/crypto/password.ts';
import { PASSWORD } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, runAgainst, uniqueDomain } from './run-cli.ts';

describe('operator command line, in-process: signup, migrate, usage', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const run = (argv: string[], io?: { stdin?: string; env?: Record<string, string> }) =>
    runAgainst(env.container, argv, io);

  const signupArgs = (domain: string, extra: string[] = []) => [
    'signup',
    '--company',
    'Umbrella Corp',
    '--domain',
    domain,
    '--username',
    'alice',
    '--email',
    'alice@umbrella.test',
    '--name',
    'Alice Abernathy',
    ...extra,
  ];

  const idAfter = (text: string, label: string) => {
    const match = new RegExp(`${label}\\s+([0-9a-f-]{36})`).exec(text);
    assert.ok(match, `no ${label} in:\n${text}`);
    return match[1]!;
  };

  test('ORG-1 signup creates the master org and an owner holding Organization Administrators (password on stdin)', async () => {
    const domain = uniqueDomain('umbrella');
    const r = await run(signupArgs(domain, ['--password-stdin']), { stdin: `${PASSWORD}\nignored line\n` });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const orgId = idAfter(r.out, 'master org id:');
    const userId = idAfter(r.out, 'user id');
    assert.match(r.out, new RegExp(`domain:\\s+${domain}\\n`));
    assert.match(r.out, /Sandbox \(sandbox\)/);
    assert.match(r.out, /Design \(design\)/);
    assert.ok(!r.out.includes(PASSWORD), 'the password is never printed');

    const c = env.container;
    const org = await c.organizations.findByDomain(domain);
    assert.equal(org?.id, orgId);
    assert.equal(org?.ownerUserId, userId);
    assert.equal((await c.directory.forTenant(orgId)).isAdministrator(userId, orgId), true);
    const user = await c.database.knex('users').where({ id: userId }).first('password_hash');
    assert.equal(
      await verifyPassword(user.password_hash, PASSWORD),
      true,
      'only the first line is the password',
    );
    const audit = await c.database
      .knex('audit_log')
      .where({ tenant_id: orgId, action: 'organization.create' })
      .first('actor_type', 'actor_id');
    assert.deepEqual(audit, { actor_type: 'operator', actor_id: OPERATOR });
  });

  test('ORG-1 signup takes the password from CANOPY_SIGNUP_PASSWORD and prints JSON', async () => {
    const domain = uniqueDomain('envpw');
    const r = await run(signupArgs(domain, ['--json']), { env: { CANOPY_SIGNUP_PASSWORD: PASSWORD } });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.organization.domain, domain);
    assert.equal(out.owner.username, 'alice');
    assert.deepEqual(
      out.environments.map((e: { name: string; type: string }) => [e.name, e.type]),
      [
        ['Sandbox', 'sandbox'],
        ['Design', 'design'],
      ],
    );
    assert.equal((await env.container.organizations.findByDomain(domain))?.id, out.organization.id);
  });

  test('ORG-1 signup with a bad domain fails naming the flag and creates nothing', async () => {
    const r = await run(signupArgs('-bad-', ['--password-stdin']), { stdin: PASSWORD });
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^error: invalid input — --domain: may hold only a-z, 0-9 and hyphens/);
    assert.equal(r.err.trim().split('\n').length, 1, 'one line');
    assert.equal(await env.container.organizations.findByDomain('-bad-'), undefined);
  });

  test('ORG-1 signup with a weak password names the problem, not the password', async () => {
    const r = await run(signupArgs(uniqueDomain('weak'), ['--password-stdin']), { stdin: 'short\n' });
    assert.equal(r.code, 2);
    assert.match(r.err, /password .*: must be at least 12 characters/);
    assert.ok(!r.err.includes('short\n') && !/\bshort\b/.test(r.err));
  });

  test('ORG-3 signup refuses a domain already in use, whatever its case', async () => {
    const domain = uniqueDomain('taken');
    assert.equal((await run(signupArgs(domain), { env: { CANOPY_SIGNUP_PASSWORD: PASSWORD } })).code, 0);
    const r = await run(signupArgs(domain.toUpperCase()), { env: { CANOPY_SIGNUP_PASSWORD: PASSWORD } });
    assert.equal(r.code, 1);
    assert.equal(r.err, `error: the domain "${domain}" is already in use\n`);
  });

  test('ORG-1 signup needs a password from stdin or the environment, never a flag', async () => {
    const none = await run(signupArgs(uniqueDomain('nopw')));
    assert.equal(none.code, 2);
    assert.match(
      none.err,
      /a password is required: pipe it in with --password-stdin, or set CANOPY_SIGNUP_PASSWORD/,
    );
    const empty = await run(signupArgs(uniqueDomain('nopw'), ['--password-stdin']), { stdin: '' });
    assert.equal(empty.code, 2);
    assert.match(empty.err, /standard input holds no password/);
    const flag = await run(signupArgs(uniqueDomain('nopw'), ['--password', PASSWORD]));
    assert.equal(flag.code, 2);
    assert.match(flag.err, /unknown option '--password'/);
    const missing = await run(['signup', '--company', 'X', '--domain', 'xyz']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /required option '--username <username>' not specified/);
  });

  test('migrate reports an up-to-date database', async () => {
    const r = await run(['migrate']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Database is up to date (test database); no migrations to apply.\n');
  });

  test('usage: help exits 0, an unknown command or a bare group exits 2', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: canopy/);
    for (const cmd of ['signup', 'org', 'migrate']) assert.match(help.out, new RegExp(`\\n  ${cmd}\\b`));
    const resetHelp = await run(['org', 'reset-credentials', '--help']);
    assert.equal(resetHelp.code, 0);
    assert.match(resetHelp.out, /Usage: canopy org reset-credentials \[options\] <org-id>/);
    const unknown = await run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.err, "error: unknown command 'frobnicate'\n");
    const bare = await run(['org']);
    assert.equal(bare.code, 2);
    assert.match(bare.err, /Usage: canopy org/);
  });
});
