import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppError } from '../../src/platform/errors/index.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import { watchWrites } from '../helpers/db-snapshot.ts';
import { PASSWORD } from '../helpers/factories.ts';
import { invitationWorld } from '../helpers/invitation-world.ts';

// ACC-4 over the admin API and the services behind the pages: the master's minimum length (with its
// session settings), the sign-up's refusals naming the rule, and an invitation acceptance that
// follows the minimum its master org chose.

const w = await invitationWorld();
after(() => w.close());
const { c, t, bg } = w;
const api = ApiClient.for(c);
const token = await userToken(c, t.user.id);
const masterPath = `/organizations/${t.tenantId}`;

/** The policy's refusal of a promise: its rule, message and details. */
async function refusedWith(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, 'password.policy');
    return { rule: err.details?.rule, message: err.message, details: err.details ?? {} };
  }
  assert.fail('the password was accepted');
}

let n = 0;
const signupBody = (password: string, more: Record<string, unknown> = {}) => ({
  companyName: 'Initrode Systems',
  domain: `initrode${process.pid}x${++n}`,
  username: 'peter',
  email: 'peter@initrode.test',
  name: 'Peter Gibbons',
  password,
  ...more,
});

describe('password policy over the API (ACC-4)', () => {
  test('ACC-4 the master sets the minimum password length (8–64), reflected in GET; a business group cannot', async () => {
    const read = await api.call('get', masterPath, { token });
    assert.equal(read.status, 200);
    assert.equal(read.body.passwordMinLength, 12, 'the default until the master chooses');

    for (const bad of [7, 65, 12.5, '16']) {
      const res = await api.call('patch', masterPath, { token, body: { passwordMinLength: bad } });
      assert.equal(res.status, 400, `${bad}`);
      assert.equal(res.body.code, 'request.invalid_input');
      assert.equal(res.body.details.fields[0].field, 'passwordMinLength');
      assert.match(res.body.details.fields[0].problem, /from 8 to 64/);
    }
    const onGroup = await api.call('patch', `/organizations/${bg.id}`, {
      token,
      body: { passwordMinLength: 16 },
    });
    assert.equal(onGroup.status, 422);
    assert.equal(onGroup.body.code, 'organization.not_master');
    assert.equal((await api.call('get', `/organizations/${bg.id}`, { token })).body.passwordMinLength, null);

    for (const bound of [8, 64, 16]) {
      const set = await api.call('patch', masterPath, { token, body: { passwordMinLength: bound } });
      assert.equal(set.status, 200);
      assert.equal(set.body.passwordMinLength, bound);
    }
    assert.equal((await api.call('get', masterPath, { token })).body.passwordMinLength, 16);
    const audited = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'organization.update' })
      .orderBy('id', 'desc')
      .first();
    assert.deepEqual(audited?.after, { passwordMinLength: 16 });
  });

  test('ACC-4 the minimum takes effect on the next invitation acceptance of that tenant; a refusal leaves the link usable', async () => {
    await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { passwordMinLength: 16 });
    const { email, token: link } = await w.inviteOne(t.owner, t.tenantId);
    const accept = (username: string, password: string) =>
      c.invitations.accept(link, { username, name: 'Ivy Invitee', password }, `req-${++n}`);

    const short = await refusedWith(accept('ivy-acc4', 'k8#Vq!2pZ-mX4wT')); // 15 characters, strong
    assert.equal(short.rule, 'too_short');
    assert.equal(short.message, 'Password must be at least 16 characters');
    assert.equal(short.details.minLength, 16);
    assert.equal((await c.invitations.describe(link)).passwordRules.minLength, 16, 'the page shows it');

    const personal = await refusedWith(accept('zeppelin-pilot', 'zeppelin-pilot purple comet rides'));
    assert.equal(personal.rule, 'personal');
    const domain = await refusedWith(accept('ivy-acc4', `purple comet ${t.organization.domain} rides`));
    assert.equal(domain.rule, 'personal', "the master org's domain");
    const company = await refusedWith(accept('ivy-acc4', 'purple comet acme corp rides west'));
    assert.equal(company.rule, 'personal', "the master org's name, whatever the case");
    assert.equal((await refusedWith(accept('ivy-acc4', 'Password123!Password123!'))).rule, 'guessable');
    assert.equal(await w.usersWithEmail(email), 0, 'nothing created');

    const done = await accept('ivy-acc4', PASSWORD);
    assert.equal(done.user.email, email);

    // Back to the default: 12 characters again for the next one.
    await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { passwordMinLength: null });
    assert.equal((await api.call('get', masterPath, { token })).body.passwordMinLength, 12);
    const next = await w.inviteOne(t.owner, t.tenantId);
    const twelve = 'k8#Vq!2pZ-mX'; // 12 characters, strong
    const created = await c.invitations.accept(
      next.token,
      { username: 'kim-acc4', name: 'Kim', password: twelve },
      'r',
    );
    assert.equal(created.user.username, 'kim-acc4');
  });

  test('ACC-4 POST /signup refuses a weak or personal password with 422 naming the rule, and writes nothing', async () => {
    const knex = c.database.knex;
    const cases: [string, string, RegExp][] = [
      [
        'Password123!',
        'guessable',
        /^Password is too easy to guess \(strength [0-2] of 4; at least 3 required\)$/,
      ],
      ['qwerty123456', 'common', /^Password is one of the most common passwords$/],
      ['short-pass', 'too_short', /^Password must be at least 12 characters$/],
      ['Initrode Systems rules', 'personal', /^Password must not contain your username, email/],
    ];
    for (const [password, rule, message] of cases) {
      const { result, changed } = await watchWrites(knex, () =>
        api.call('post', '/signup', { body: signupBody(password) }),
      );
      assert.equal(result.status, 422, password);
      assert.equal(result.body.code, 'password.policy');
      assert.equal(result.body.details.rule, rule);
      assert.match(result.body.message, message);
      assert.deepEqual(result.body.details.fields, [
        { field: 'password', problem: result.body.details.problem },
      ]);
      assert.ok(!JSON.stringify(result.body).includes(password), 'the password never comes back');
      assert.equal(changed, '');
    }
    // The domain being registered counts as the company's.
    const body = signupBody('');
    const own = await api.call('post', '/signup', {
      body: { ...body, password: `violet kayak ${body.domain}` },
    });
    assert.equal(own.body.details?.rule, 'personal');
    assert.equal((await api.call('post', '/signup', { body: signupBody(PASSWORD) })).status, 201);
  });
});
