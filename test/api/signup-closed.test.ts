import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { runAgainst, uniqueDomain } from '../cli/run-cli.ts';
import { ApiClient } from '../helpers/api.ts';
import { watchWrites } from '../helpers/db-snapshot.ts';
import { PASSWORD } from '../helpers/factories.ts';
import { rejects } from '../helpers/invitation-world.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { assertCleanPage, EXPECTED_CSP } from '../web/web-app.ts';

// SEC-9, finding 8 of issue 10: public sign-up is the operator's choice. With SIGNUP_MODE=closed
// neither door of sign-up (the page, the API) creates anything or counts against the sign-up
// throttle, `/` no longer leads there, and the operator's command line creates organizations.

const body = (domain: string) => ({
  companyName: 'Closed Door Ltd',
  domain,
  username: 'casey',
  email: 'casey@closed.test',
  name: 'Casey Closed',
  password: PASSWORD,
});

describe('SEC-9 SIGNUP_MODE=closed', () => {
  let env: TestEnv;
  let app: Express;
  let api: ApiClient;
  before(async () => {
    // One sign-up an hour per address: a refusal that counted would turn the next into a 429.
    env = await createTestEnv({
      config: { organizations: { signupMode: 'closed', signupsPerAddressPerHour: 1 } },
    });
    app = createApp(env.container);
    api = new ApiClient(app);
  });
  after(() => env?.close());

  test('SEC-9 POST /api/v1/signup answers 403 signup.closed, writes nothing and is never throttled', async () => {
    for (let i = 0; i < 3; i++) {
      const domain = uniqueDomain('closed-api');
      const { result, changed } = await watchWrites(env.container.database.knex, () =>
        api.call('post', '/signup', { body: body(domain) }),
      );
      assert.equal(result.status, 403, JSON.stringify(result.body));
      assert.equal(result.body.code, 'signup.closed');
      assert.match(result.body.message, /Sign-up is closed on this installation: ask its operator/);
      assert.equal(changed, '');
      assert.equal(await env.container.organizations.findByDomain(domain), undefined);
    }
  });

  test('SEC-9 the /signup page says sign-up is closed and whom to ask, for GET and POST; / and the console lead to sign-in only', async () => {
    const page = await request(app).get('/signup');
    assert.equal(page.status, 403);
    assert.equal(page.headers['content-security-policy'], EXPECTED_CSP);
    assertCleanPage(page.text);
    assert.match(page.text, /<h1>Sign-up is closed<\/h1>/);
    assert.match(page.text, /ask the operator of this installation/);
    assert.doesNotMatch(page.text, /<form/, 'no form to fill in for nothing');
    assert.match(page.text, /<a href="\/console\/">open the console<\/a>/);

    const domain = uniqueDomain('closed-web');
    const posted = await watchWrites(env.container.database.knex, () =>
      request(app)
        .post('/signup')
        .type('form')
        .send({ ...body(domain), passwordConfirm: PASSWORD, csrf: 'x' }),
    );
    assert.equal(posted.result.status, 403);
    assert.match(posted.result.text, /Sign-up is closed/);
    assert.equal(posted.changed, '');

    const home = await request(app).get('/');
    assert.equal(home.status, 303);
    assert.equal(home.headers.location, '/console/');
    const consolePage = await request(app).get('/console/').expect(200);
    assert.match(
      consolePage.text,
      /<div id="console" data-signup="closed">/,
      'its sign-in offers no sign-up link',
    );
  });

  test('SEC-9 nothing but the operator signs up through the service either', async () => {
    await rejects(
      env.container.signUp({ actor: { kind: 'anonymous' }, requestId: 'r' }, body('closedsvc')),
      'signup.closed',
    );
  });

  test('SEC-9 the operator still creates organizations: canopy org create and canopy signup', async () => {
    for (const command of [['org', 'create'], ['signup']]) {
      const domain = uniqueDomain('closed-cli');
      const r = await runAgainst(
        env.container,
        [
          ...command,
          '--company',
          'Operator Made',
          '--domain',
          domain,
          '--username',
          'olga',
          '--email',
          'olga@operator.test',
          '--name',
          'Olga Operator',
          '--password-stdin',
        ],
        { stdin: `${PASSWORD}\n` },
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Signed up Operator Made\./);
      const org = await env.container.organizations.findByDomain(domain);
      assert.ok(org, `${command.join(' ')} created ${domain}`);
    }
  });
});
