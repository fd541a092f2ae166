import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import { watchWrites } from '../helpers/db-snapshot.ts';
import { PASSWORD } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { browserCookieOf, csrfTokenOf } from '../web/web-app.ts';

let counter = 0;
const uniqueDomain = () => `api${process.pid}x${++counter}`;
const body = (domain: string, more: Record<string, unknown> = {}) => ({
  companyName: 'Acme API',
  domain,
  username: 'ada',
  email: 'ada@acme.test',
  name: 'Ada Admin',
  password: PASSWORD,
  ...more,
});

describe('admin API: sign-up (ORG-1)', () => {
  let env: TestEnv;
  let api: ApiClient;
  before(async () => {
    env = await createTestEnv();
    api = ApiClient.for(env.container);
  });
  after(() => env.close());

  test('ORG-1 POST /signup needs no token and creates the master org, its owner and two environments', async () => {
    const domain = uniqueDomain();
    const res = await api.call('post', '/signup', { body: body(domain) });
    assert.equal(res.status, 201);
    assert.equal(res.body.organization.domain, domain);
    assert.equal(res.body.user.username, 'ada');
    assert.equal(res.body.signInUrl, `${env.container.config.server.publicUrl}/login/${domain}`);
    assert.deepEqual(res.body.environments.map((e: { type: string }) => e.type).sort(), [
      'design',
      'sandbox',
    ]);
    assert.equal(JSON.stringify(res.body).includes(PASSWORD), false, 'the password never comes back');

    // The new owner holds Organization Administrators: their token reads and changes the master.
    const token = await userToken(env.container, res.body.user.id);
    const org = await api.call('get', `/organizations/${res.body.organization.id}`, { token });
    assert.equal(org.status, 200);
    assert.equal(org.body.ownerUserId, res.body.user.id);
  });

  test('ORG-1 ORG-3 a taken domain is a 409 and a bad body a 400 naming the fields; neither writes anything', async () => {
    const domain = uniqueDomain();
    assert.equal((await api.call('post', '/signup', { body: body(domain) })).status, 201);
    const knex = env.container.database.knex;

    const taken = await watchWrites(knex, () =>
      api.call('post', '/signup', { body: body(domain.toUpperCase(), { username: 'other' }) }),
    );
    assert.equal(taken.result.status, 409);
    assert.equal(taken.result.body.code, 'organization.domain_taken');
    assert.equal(taken.changed, '');

    const bad = await watchWrites(knex, () =>
      api.call('post', '/signup', { body: body('x', { password: 'short', extra: 1 }) }),
    );
    assert.equal(bad.result.status, 400);
    assert.equal(bad.result.body.code, 'request.invalid_input');
    const fields = bad.result.body.details.fields.map((f: { field: string }) => f.field).sort();
    // The password's minimum is the policy's (ACC-4), judged once the fields are valid.
    assert.deepEqual(fields, ['domain', 'extra']);
    assert.equal(bad.changed, '');
  });
});

describe('sign-up throttle, shared by the API and the web form', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ config: { organizations: { signupsPerAddressPerHour: 2 } } });
  });
  after(() => env.close());

  test('ORG-1 one address gets SIGNUPS_PER_ADDRESS_PER_HOUR sign-ups an hour, by either door; then 429', async () => {
    const api = ApiClient.for(env.container);
    const app = createApp(env.container);
    assert.equal((await api.call('post', '/signup', { body: body(uniqueDomain()) })).status, 201);

    const form = await request(app).get('/signup').expect(200);
    const cookie = browserCookieOf(form.headers['set-cookie']);
    const fields = { ...body(uniqueDomain()), passwordConfirm: PASSWORD, csrf: csrfTokenOf(form.text) };
    await request(app).post('/signup').type('form').set('Cookie', cookie).send(fields).expect(201);

    const refused = await watchWrites(env.container.database.knex, () =>
      api.call('post', '/signup', { body: body(uniqueDomain()) }),
    );
    assert.equal(refused.result.status, 429);
    assert.equal(refused.result.body.code, 'request.rate_limited');
    assert.ok(Number(refused.result.headers['retry-after']) > 60, 'the window is an hour');
    assert.equal(refused.changed, '');

    const again = await request(app)
      .post('/signup')
      .type('form')
      .set('Cookie', cookie)
      .send({ ...fields, domain: uniqueDomain() });
    assert.equal(again.status, 429);
    assert.match(again.text, /<!doctype html>/);
  });
});
