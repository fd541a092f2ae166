import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { PASSWORD } from '../helpers/factories.ts';
import { invitationWorld } from '../helpers/invitation-world.ts';
import { assertCleanPage, browserCookieOf, csrfTokenOf } from './web-app.ts';

// ACC-4 on the pages that set a password: the rules shown before submission, the input marked as a
// new password with the policy's bounds, and a refused rule shown at the password field.

const w = await invitationWorld();
after(() => w.close());
const { c, t } = w;
const app = createApp(c);
let n = 0;

/** Opens a form as a browser would: its page, cookie and CSRF token. */
async function open(path: string) {
  const res = await request(app).get(path).expect(200);
  return { html: res.text, cookie: browserCookieOf(res.headers['set-cookie']), csrf: csrfTokenOf(res.text) };
}
const post = (path: string, cookie: string, form: Record<string, string>) =>
  request(app).post(path).type('form').set('Cookie', cookie).send(form);

/** The rules list and the password input of a page, with the minimum it states. */
function assertRulesShown(html: string, minLength: number) {
  assert.match(html, /<div class="hint password-rules" id="password-hint">/);
  assert.match(html, new RegExp(`<li>be at least ${minLength} characters long \\(at most 256\\)</li>`));
  assert.match(html, /<li>not be one of the most common passwords<\/li>/);
  assert.match(html, /a strength of at least 3 of 4/);
  assert.match(html, /<li>not contain your username, email, company name or domain<\/li>/);
  assert.match(
    html,
    new RegExp(
      `<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${minLength}" maxlength="256" aria-describedby="password-hint`,
    ),
  );
}

describe('password policy on the pages (ACC-4)', () => {
  test('ACC-4 the sign-up page shows the rules before submission and names the rule a password fails', async () => {
    const form = await open('/signup');
    assertRulesShown(form.html, 12);
    const domain = `pages${process.pid}x${++n}`;
    const fields = {
      csrf: form.csrf,
      companyName: 'Vandelay Industries',
      domain,
      name: 'Art Vandelay',
      username: 'art',
      email: 'art@vandelay.test',
    };
    const weak = 'P@ssw0rd2024!';
    const res = await post('/signup', form.cookie, { ...fields, password: weak, passwordConfirm: weak });
    assert.equal(res.status, 422);
    assertCleanPage(res.text);
    assert.match(
      res.text,
      /<li><a href="#password">Password (is too easy to guess \(strength [0-2] of 4; at least 3 required\)|is one of the most common passwords)<\/a><\/li>/,
    );
    assert.match(
      res.text,
      /<p class="field-error" id="password-error"><span class="visually-hidden">Error:<\/span> Password /,
    );
    assert.match(res.text, /aria-describedby="password-hint password-error" aria-invalid="true"/);
    assert.match(res.text, /<input id="companyName" [^>]* value="Vandelay Industries"/, 'values kept');
    assert.ok(!res.text.includes(weak), 'never the password');
    assertRulesShown(res.text, 12);

    const personal = 'vandelay imports latex rides';
    const again = await post('/signup', form.cookie, {
      ...fields,
      csrf: csrfTokenOf(res.text),
      password: personal,
      passwordConfirm: personal,
    });
    assert.equal(again.status, 422);
    assert.match(again.text, /Password must not contain your username, email, company name or domain/);
    assert.equal(await c.organizations.findByDomain(domain), undefined, 'nothing created');
  });

  test("ACC-4 the invitation page shows the org's minimum and names the rule a password fails", async () => {
    await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { passwordMinLength: 20 });
    const { email, token } = await w.inviteOne(t.owner, t.tenantId);
    const path = `/invitations/${token}`;
    const form = await open(path);
    assertRulesShown(form.html, 20);
    const account = { csrf: form.csrf, username: 'newman-acc4', name: 'Newman' };
    const res = await post(path, form.cookie, {
      ...account,
      password: PASSWORD.slice(0, 19),
      passwordConfirm: PASSWORD.slice(0, 19),
    });
    assert.equal(res.status, 422);
    assert.match(res.text, /<li><a href="#password">Password must be at least 20 characters<\/a><\/li>/);
    assert.match(res.text, /<input id="username" [^>]* value="newman-acc4"/, 'values kept');
    assertRulesShown(res.text, 20);
    const personal = 'newman-acc4 mailbag rides';
    const again = await post(path, form.cookie, {
      ...account,
      csrf: csrfTokenOf(res.text),
      password: personal,
      passwordConfirm: personal,
    });
    assert.equal(again.status, 422);
    assert.match(again.text, /Password must not contain your username, email, company name or domain/);
    assert.equal(await w.usersWithEmail(email), 0);
    const done = await post(path, form.cookie, {
      ...account,
      csrf: csrfTokenOf(again.text),
      password: PASSWORD,
      passwordConfirm: PASSWORD,
    });
    assert.equal(done.status, 201);
    await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { passwordMinLength: null });
  });
});
