import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loginPage } from './login.ts';

const EVIL = '"><script>alert(1)</script>';

test('FED-2 the login page: one escaped, CSRF-carrying button per provider; the password form only when allowed', () => {
  const providers = [{ name: EVIL, action: '/interaction/u1/federate/p1' }];
  const both = loginPage({ action: '/interaction/u1/login', csrfToken: 'tok', providers }).html;
  assert.doesNotMatch(both, /<script/);
  assert.match(both, /Sign in with &quot;&gt;&lt;script&gt;/);
  assert.match(
    both,
    /<form method="post" action="\/interaction\/u1\/federate\/p1">\n<input type="hidden" name="csrf" value="tok">/,
  );
  assert.match(both, /name="password"/);
  const only = loginPage({
    action: '/interaction/u1/login',
    csrfToken: 'tok',
    providers,
    passwordForm: false,
  }).html;
  assert.doesNotMatch(only, /name="password"/);
  const none = loginPage({ action: '/interaction/u1/login', csrfToken: 'tok', passwordForm: false }).html;
  assert.match(none, /name="password"/, 'without providers the password form always shows');
});
