import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { PASSWORD } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { assertCleanPage, browserCookieOf, CSRF_KEY, csrfTokenOf, EXPECTED_CSP, webApp } from './web-app.ts';

let counter = 0;
const uniqueDomain = () => `web${process.pid}x${++counter}`;

describe('sign-up page (ORG-1)', () => {
  let env: TestEnv;
  let app: Express;
  before(async () => {
    env = await createTestEnv();
    app = webApp(env.container, env.clock);
  });
  after(() => env.close());

  /** Opens the form as a browser would: its cookie and the token bound to it. */
  async function openForm() {
    const res = await request(app).get('/signup').expect(200);
    return { cookie: browserCookieOf(res.headers['set-cookie']), token: csrfTokenOf(res.text) };
  }
  const fields = (domain: string, more: Record<string, string> = {}) => ({
    companyName: 'Acme Web',
    domain,
    name: 'Wendy Web',
    username: 'wendy',
    email: 'wendy@acme.test',
    password: PASSWORD,
    passwordConfirm: PASSWORD,
    ...more,
  });
  const post = (form: Record<string, string>, cookie?: string) => {
    const req = request(app).post('/signup').type('form').send(form);
    return cookie ? req.set('Cookie', cookie) : req;
  };

  test('ORG-1 GET /signup renders the form with a CSRF field, a browser cookie and strict security headers', async () => {
    const res = await request(app).get('/signup').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^text\/html; charset=utf-8/);
    assert.equal(res.headers['content-security-policy'], EXPECTED_CSP);
    assert.doesNotMatch(res.headers['content-security-policy'] ?? '', /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d+/);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).join();
    assert.match(cookie, /canopy_browser=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/);
    csrfTokenOf(res.text);
    assertCleanPage(res.text);
    const inputs: [string, string, string][] = [
      ['companyName', 'text', 'organization'],
      ['domain', 'text', 'off'],
      ['name', 'text', 'name'],
      ['username', 'text', 'username'],
      ['email', 'email', 'email'],
      ['password', 'password', 'new-password'],
      ['passwordConfirm', 'password', 'new-password'],
    ];
    for (const [name, type, autocomplete] of inputs) {
      assert.match(res.text, new RegExp(`<label for="${name}">`));
      assert.match(
        res.text,
        new RegExp(`<input id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}"`),
      );
    }
    assert.match(res.text, /3 to 63 characters: lowercase letters a–z, digits 0–9 and hyphens/);
  });

  test('ORG-1 a POST without a CSRF token, with a bad one, or without the browser cookie is refused with 403 and creates nothing', async () => {
    const { cookie, token } = await openForm();
    const other = await openForm();
    const domain = uniqueDomain();
    const attempts = [
      post(fields(domain), cookie), // no token
      post({ ...fields(domain), csrf: `${token.slice(0, -2)}AA` }, cookie), // tampered
      post({ ...fields(domain), csrf: other.token }, cookie), // another browser's token
      post({ ...fields(domain), csrf: token }), // no cookie
      post({ ...fields(domain), csrf: token }, other.cookie), // cookie of another browser
    ];
    for (const attempt of attempts) {
      const res = await attempt.expect(403);
      assert.match(res.text, /This form has expired/);
      assert.match(res.text, /<a href="\/signup">Open the sign-up form again<\/a>/);
      assert.match(res.text, new RegExp(`Quote this reference.*${res.headers['x-request-id']}`));
      assert.equal(res.headers['content-security-policy'], EXPECTED_CSP);
      assertCleanPage(res.text);
    }
    assert.equal(await env.container.organizations.findByDomain(domain), undefined);
  });

  test('ORG-1 an expired CSRF token is refused', async () => {
    const { cookie, token } = await openForm();
    env.clock.advance(2 * 60 * 60 * 1000 + 1000);
    const domain = uniqueDomain();
    await post({ ...fields(domain), csrf: token }, cookie).expect(403);
    assert.equal(await env.container.organizations.findByDomain(domain), undefined);
  });

  test('ORG-1 invalid fields come back as a 400 page naming each field, values kept but never the password', async () => {
    const { cookie, token } = await openForm();
    const secret = 'hunter2-sh';
    const res = await post(
      { ...fields('x', { email: 'not-an-email', password: secret, passwordConfirm: secret }), csrf: token },
      cookie,
    ).expect(400);
    assertCleanPage(res.text);
    assert.match(res.text, /<title>Error: Create your account · Canopy<\/title>/);
    assert.match(res.text, /<div class="error-summary" role="alert"/);
    assert.match(res.text, /<li><a href="#domain">Domain must be 3 to 63 characters<\/a><\/li>/);
    assert.match(res.text, /<li><a href="#email">Email address must be an email address<\/a><\/li>/);
    // ACC-4: the password policy judges the password once the other fields are valid (it needs them).
    assert.match(res.text, /<p class="field-error" id="domain-error">/);
    assert.match(
      res.text,
      /<input id="domain" [^>]* value="x" aria-describedby="domain-hint domain-error" aria-invalid="true"/,
    );
    assert.match(res.text, /<input id="companyName" [^>]* value="Acme Web"/);
    assert.match(res.text, /<input id="email" [^>]* value="not-an-email"/);
    assert.doesNotMatch(res.text, new RegExp(secret));
    assert.doesNotMatch(res.text, /<input id="password"[^>]* value=/);
    csrfTokenOf(res.text); // a fresh form, ready to resubmit
  });

  test('ORG-1 a password confirmation that differs is refused before anything is created', async () => {
    const { cookie, token } = await openForm();
    const domain = uniqueDomain();
    const res = await post(
      { ...fields(domain, { passwordConfirm: `${PASSWORD}!` }), csrf: token },
      cookie,
    ).expect(400);
    assert.match(res.text, /<a href="#passwordConfirm">Confirm password does not match the password<\/a>/);
    assert.doesNotMatch(res.text, new RegExp(PASSWORD));
    assert.equal(await env.container.organizations.findByDomain(domain), undefined);
  });

  test('ORG-1 sign-up creates the org and answers 201 with its sign-in address; a taken domain is a 409 on the domain field', async () => {
    const { cookie, token } = await openForm();
    const domain = uniqueDomain();
    const res = await post({ ...fields(domain), csrf: token }, cookie).expect(201);
    assertCleanPage(res.text);
    assert.match(res.text, /<h1>Account created<\/h1>/);
    assert.match(res.text, new RegExp(`<a class="button" href="/login/${domain}">Sign in</a>`));
    assert.match(res.text, new RegExp(`${env.container.config.server.publicUrl}/login/${domain}`));
    const org = await env.container.organizations.findByDomain(domain);
    assert.equal(org?.name, 'Acme Web');
    assert.equal(org?.isMaster, true);

    const again = await post(
      { ...fields(domain.toUpperCase(), { companyName: 'Copycat' }), csrf: token },
      cookie,
    );
    assert.equal(again.status, 409);
    assertCleanPage(again.text);
    assert.match(again.text, /<a href="#domain">Domain is already in use by another company<\/a>/);
    assert.match(again.text, /<input id="companyName" [^>]* value="Copycat"/);
    assert.equal((await env.container.organizations.findByDomain(domain))?.name, 'Acme Web');
  });

  test('ORG-1 markup typed into a field comes back escaped', async () => {
    const { cookie, token } = await openForm();
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    const res = await post(
      { ...fields('-bad-', { companyName: evil, name: evil }), csrf: token },
      cookie,
    ).expect(400);
    assertCleanPage(res.text);
    assert.match(
      res.text,
      /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=alert\(2\)&gt;"/,
    );
    assert.doesNotMatch(res.text, /<img/);
  });

  test('ORG-1 a body over 16 KiB is a 413 page, not a JSON envelope', async () => {
    const { cookie, token } = await openForm();
    const res = await post({ ...fields(uniqueDomain(), { name: 'x'.repeat(20_000) }), csrf: token }, cookie);
    assert.equal(res.status, 413);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assertCleanPage(res.text);
  });

  test('the CSRF key is the one given: a token signed with another key is refused', async () => {
    const otherApp = webApp(env.container, env.clock, { csrfKey: Buffer.alloc(32, 0x01) });
    assert.notDeepEqual(CSRF_KEY, Buffer.alloc(32, 0x01));
    const res = await request(otherApp).get('/signup').expect(200);
    const cookie = browserCookieOf(res.headers['set-cookie']);
    await post({ ...fields(uniqueDomain()), csrf: csrfTokenOf(res.text) }, cookie).expect(403);
  });

  test('SEC-9 with SIGNUP_MODE=open (the default), / leads to the form and the console offers it', async () => {
    assert.equal(env.container.config.organizations.signupMode, 'open');
    const home = await request(app).get('/').expect(303);
    assert.equal(home.headers.location, '/signup');
    const consolePage = await request(app).get('/console/').expect(200);
    assert.match(consolePage.text, /<div id="console" data-signup="open">/);
  });
});
