import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addBusinessGroup, operator, signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, runAgainst, uniqueDomain } from './run-cli.ts';

describe('operator command line, in-process: org show, org reset-credentials', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const run = (argv: string[], io?: { stdin?: string; env?: Record<string, string> }) =>
    runAgainst(env.container, argv, io);

  test('ORG-4 org show prints the tree with every node id and owner', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { companyName: 'Tree Corp', domain: uniqueDomain('tree') });
    const europe = await addBusinessGroup(c, t, t.tenantId, 'Europe');
    const france = await addBusinessGroup(c, t, europe.id, 'France');
    const us = await addBusinessGroup(c, t, t.tenantId, 'US');
    const r = await run(['org', 'show', t.organization.domain!]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], `${t.organization.domain} (master org ${t.tenantId}, 4 org nodes)`);
    assert.deepEqual(lines.slice(1), [
      `Tree Corp  [${t.tenantId}]  owner founder`,
      `├── Europe  [${europe.id}]  owner founder`,
      `│   └── France  [${france.id}]  owner founder`,
      `└── US  [${us.id}]  owner founder`,
    ]);
  });

  test('ORG-4 org show --json gives the nodes in display order with owners', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('json') });
    const bg = await addBusinessGroup(c, t, t.tenantId, 'Child');
    const r = await run(['org', 'show', '--json', t.organization.domain!.toUpperCase()]);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.tenantId, t.tenantId);
    assert.deepEqual(
      out.nodes.map((n: { id: string; parentId: string | null; depth: number; owner: { id: string } }) => [
        n.id,
        n.parentId,
        n.depth,
        n.owner.id,
      ]),
      [
        [t.tenantId, null, 0, t.user.id],
        [bg.id, t.tenantId, 1, t.user.id],
      ],
    );
  });

  test('ORG-3 org show refuses an unknown domain (1) and a malformed one (2)', async () => {
    const unknown = await run(['org', 'show', 'no-such-domain']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.err, 'error: no master organization has the domain "no-such-domain"\n');
    const malformed = await run(['org', 'show', 'bad_domain!']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.err, /invalid for argument 'domain'/);
    const missing = await run(['org', 'show']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /missing required argument 'domain'/);
  });

  test('CRED-5 org reset-credentials replaces the org secret at once, prints it once, and is audited', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('reset') });
    const bg = await addBusinessGroup(c, t, t.tenantId);
    for (const orgId of [t.tenantId, bg.id]) {
      const old = await c.credentials.read(operator(), t.tenantId, { orgId, environmentId: null });
      const r = await run(['org', 'reset-credentials', orgId]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`client id:\\s+${old.clientId}\\n`));
      const secret = /client secret:\s+(\S+)\n/.exec(r.out)?.[1];
      assert.ok(secret && secret !== old.clientSecret);
      assert.match(r.out, /shown only this once/);
      assert.equal(await c.credentials.verifySecret(old.clientId, old.clientSecret), null);
      assert.equal((await c.credentials.verifySecret(old.clientId, secret))?.organizationId, orgId);
      const audit = await c.database
        .knex('audit_log')
        .where({ action: 'credentials.reset', actor_type: 'operator', org_id: orgId })
        .select('actor_id', 'target_id', 'tenant_id');
      assert.deepEqual(audit, [{ actor_id: OPERATOR, target_id: old.clientId, tenant_id: t.tenantId }]);
      assert.ok(!JSON.stringify(audit).includes(secret));
    }
  });

  test('CRED-5 org reset-credentials --json prints the new credentials', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { domain: uniqueDomain('resetjson') });
    const r = await run(['org', 'reset-credentials', t.tenantId, '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.organizationId, t.tenantId);
    assert.notEqual(await c.credentials.verifySecret(out.clientId, out.clientSecret), null);
  });

  test('CRED-5 org reset-credentials refuses an unknown org id (1) and a malformed one (2)', async () => {
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const unknown = await run(['org', 'reset-credentials', unknownId]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.err, `error: no organization has the id ${unknownId}\n`);
    const malformed = await run(['org', 'reset-credentials', 'not-a-uuid']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.err, /invalid for argument 'org-id'. An org id is a UUID/);
  });
});
