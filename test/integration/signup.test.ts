import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import type { AppError } from '../../src/platform/errors/index.ts';
import { PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

describe('sign-up', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  test('ORG-1 sign-up creates the master org, its owner with Organization Administrators, and Sandbox and Design', async () => {
    const c = env.container;
    const t = await signUpTenant(c, { companyName: 'Globex', domain: 'globex' });
    assert.equal(t.organization.name, 'Globex');
    assert.equal(t.organization.domain, 'globex');
    assert.equal(t.organization.isMaster, true);
    assert.equal(t.organization.ownerUserId, t.user.id);
    assert.deepEqual(
      t.environments.map((e) => [e.name, e.type]),
      [
        ['Sandbox', 'sandbox'],
        ['Design', 'design'],
      ],
    );
    const grants = await c.assignments.listForUser(t.owner, t.tenantId, t.user.id);
    assert.equal(grants.length, 1);
    assert.equal(grants[0]!.roleId, ORGANIZATION_ADMINISTRATORS.id);
    assert.equal(grants[0]!.organizationId, t.tenantId);
    const index = await c.directory.forTenant(t.tenantId);
    assert.equal(index.isAdministrator(t.user.id, t.tenantId), true);
  });

  test('ORG-1 a failed sign-up leaves nothing behind', async () => {
    const c = env.container;
    await signUpTenant(c, { domain: 'initech' });
    const count = async (table: string) => Number((await c.database.knex(table).count({ n: '*' }))[0]!.n);
    const before = {
      organizations: await count('organizations'),
      users: await count('users'),
      environments: await count('environments'),
      audit: await count('audit_log'),
    };
    await assert.rejects(
      signUpTenant(c, { domain: 'INITECH' }),
      (err: AppError) => err.code === 'organization.domain_taken',
    );
    assert.deepEqual(
      {
        organizations: await count('organizations'),
        users: await count('users'),
        environments: await count('environments'),
        audit: await count('audit_log'),
      },
      before,
    );
  });

  test('ORG-1 sign-up refuses bad input naming each field', async () => {
    await assert.rejects(
      env.container.signUp(
        { actor: { kind: 'anonymous' }, requestId: 'r' },
        { companyName: '', domain: '-x', username: 'a', email: 'nope', name: 'N', password: PASSWORD },
      ),
      (err: AppError) => {
        assert.equal(err.code, 'request.invalid_input');
        const fields = [
          ...new Set((err.details!.fields as Array<{ field: string }>).map((f) => f.field)),
        ].sort();
        assert.deepEqual(fields, ['companyName', 'domain', 'email', 'username']);
        return true;
      },
    );
  });
});
