import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { operator, signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { runAgainst, uniqueDomain } from './run-cli.ts';

describe('operator command line: app create --refresh-token-reuse-seconds (concurrent refresh, issue 12)', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const run = (argv: string[]) => runAgainst(env.container, argv);

  test('REL-5 APP-1 the reuse interval is set at creation, shown, and refused outside 0–60 naming the flag', async () => {
    const t = await signUpTenant(env.container, { domain: uniqueDomain('reuse') });
    const base = ['app', 'create', '--org', t.organization.domain!, '--kind', 'spa'];
    const uri = ['--redirect-uri', 'https://workers.example/cb'];

    const tooLong = await run([...base, '--name', 'Late', ...uri, '--refresh-token-reuse-seconds', '61']);
    assert.equal(tooLong.code, 2);
    assert.match(tooLong.err, /--refresh-token-reuse-seconds: must be from 0 to 60/);
    const word = await run([...base, '--name', 'Word', ...uri, '--refresh-token-reuse-seconds', 'soon']);
    assert.equal(word.code, 2);
    assert.match(word.err, /A whole number of seconds/);
    assert.deepEqual(await env.container.apps.list(operator(), t.tenantId), [], 'nothing was written');

    const set = await run([...base, '--name', 'Workers', ...uri, '--refresh-token-reuse-seconds', '12']);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /\n {2}refresh reuse: {2}12 s /);
    const plain = await run([...base, '--name', 'Plain', ...uri]);
    assert.equal(plain.code, 0, plain.err);
    const apps = await env.container.apps.list(operator(), t.tenantId);
    assert.deepEqual(
      apps.map((a) => [a.name, a.refreshTokenReuseSeconds]),
      [
        ['Plain', 5],
        ['Workers', 12],
      ],
    );
  });
});
