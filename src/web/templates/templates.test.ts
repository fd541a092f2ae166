import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from '../page.ts';
import { consentPage, describeScope } from './consent.ts';
import { errorPage } from './error.ts';
import { loginPage } from './login.ts';
import { logoutDonePage, logoutPage } from './logout.ts';
import { messagePage } from './message.ts';
import { signupPage } from './signup.ts';

const EVIL = '"><script>alert(1)</script>';
const ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;';
const PROVIDER_FORM =
  '<form id="op.logoutForm" method="post" action="http://localhost:3000/oidc/session/end/confirm"><input type="hidden" name="xsrf" value="abc"/></form>';

function assertClean(page: Page): void {
  assert.match(page.html, /^<!doctype html>\n<html lang="en">/);
  assert.doesNotMatch(page.html, /<script|<style|style=/i);
  assert.equal(page.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['Cache-Control'], 'no-store');
  assert.equal(page.headers['X-Frame-Options'], 'DENY');
  assert.doesNotMatch(page.headers['Content-Security-Policy']!, /unsafe/);
}

describe('page templates', () => {
  test('every template renders a clean document and escapes what it is given', () => {
    const pages: Page[] = [
      signupPage({ csrfToken: 't', values: { companyName: EVIL } }),
      loginPage({
        org: { orgName: EVIL, domain: 'acme' },
        appName: EVIL,
        action: '/x',
        csrfToken: 't',
        username: EVIL,
      }),
      consentPage({
        appName: EVIL,
        orgName: EVIL,
        scopes: ['openid'],
        allowAction: '/a',
        denyAction: '/d',
        csrfToken: 't',
      }),
      logoutPage({ providerForm: PROVIDER_FORM, appName: EVIL }),
      logoutDonePage({ appName: EVIL }),
      errorPage({ status: 400, title: EVIL, message: EVIL, requestId: EVIL }),
      messagePage({ title: EVIL, paragraphs: [EVIL], link: { href: 'javascript:alert(1)', text: EVIL } }),
    ];
    for (const page of pages) {
      assertClean(page);
      assert.ok(page.html.includes(ESCAPED), page.html.slice(0, 400));
    }
    assert.doesNotMatch(pages.at(-1)!.html, /href="javascript:/);
  });

  test('SESS-1 the login page: org and app named, the form posting to the action with a CSRF field', () => {
    const page = loginPage({
      org: { orgName: 'Acme Corp', domain: 'acme' },
      appName: 'Payroll',
      action: '/interaction/abc/login',
      csrfToken: 'tok',
      username: 'fiona',
    });
    assert.match(page.html, /<h1>Sign in to Acme Corp<\/h1>/);
    assert.match(page.html, /to continue to <strong>Payroll<\/strong>/);
    assert.match(page.html, /<form method="post" action="\/interaction\/abc\/login">/);
    assert.match(page.html, /<input type="hidden" name="csrf" value="tok">/);
    assert.match(page.html, /autocomplete="username" required value="fiona"/);
    assert.match(page.html, /type="password" autocomplete="current-password"/);
    assert.doesNotMatch(page.html, /error-summary|Create an account/);
    assert.match(loginPage({ action: '/x', csrfToken: 't' }).html, /<h1>Sign in<\/h1>/);
  });

  test('SESS-8 the login page says the same thing for every failure, and when to try again', () => {
    const base = { action: '/x', csrfToken: 't' };
    const bad = loginPage({ ...base, problem: { kind: 'invalid_credentials' } }).html;
    assert.match(bad, /role="alert"[\s\S]*<li>Incorrect username or password\.<\/li>/);
    const slow = loginPage({ ...base, problem: { kind: 'too_many_attempts', retryAfterMinutes: 4.2 } }).html;
    assert.match(slow, /Too many attempts\. Try again in 5 minutes\./);
    const one = loginPage({ ...base, problem: { kind: 'too_many_attempts', retryAfterMinutes: 0.5 } }).html;
    assert.match(one, /Try again in 1 minute\./);
    assert.match(
      loginPage({ ...base, signupAllowed: true }).html,
      /<a href="\/signup">Create an account<\/a>/,
    );
  });

  test('form-action names the client origins a page is given, and only their origins', () => {
    const page = loginPage({
      action: '/x',
      csrfToken: 't',
      formActionUrls: ['https://app.example.com/callback?x=1', 'com.example.app:/cb'],
    });
    assert.equal(
      page.headers['Content-Security-Policy'],
      "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' https://app.example.com com.example.app:; frame-ancestors 'none'; base-uri 'none'",
    );
    for (const bad of [
      'javascript:alert(1)',
      "https://a.example; script-src 'unsafe-inline'",
      'data:text/html,x',
      'nope',
    ]) {
      assert.throws(() => loginPage({ action: '/x', csrfToken: 't', formActionUrls: [bad] }), /form-action/);
    }
  });

  test('the consent page lists scopes in human words with Allow and Deny posting to their actions', () => {
    const page = consentPage({
      appName: 'Payroll',
      orgName: 'Acme',
      scopes: ['openid', 'profile', 'email', 'offline_access', 'org:n1', 'org:n2', 'openid'],
      nodeNames: { n1: 'Europe' },
      allowAction: '/interaction/u/consent',
      denyAction: '/interaction/u/abort',
      csrfToken: 'tok',
    }).html;
    const items = [...page.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    assert.deepEqual(items, [
      'Sign you in',
      'See your name and username',
      'See your email address',
      'Stay signed in',
      'Your roles in Europe',
      'Your roles in an organization',
    ]);
    assert.match(
      page,
      /<form method="post" action="\/interaction\/u\/consent">\n<input type="hidden" name="csrf" value="tok">/,
    );
    assert.match(
      page,
      /<form method="post" action="\/interaction\/u\/abort">\n<input type="hidden" name="csrf" value="tok">/,
    );
    assert.equal(describeScope('org:toString'), 'Your roles in an organization');
    assert.equal(describeScope('custom'), 'Use “custom”');
  });

  test('the logout page embeds the provider form and both buttons submit it', () => {
    const page = logoutPage({ providerForm: PROVIDER_FORM, formActionUrls: ['https://rp.example/after'] });
    assert.match(page.html, /<h1>Sign out of Canopy\?<\/h1>/);
    assert.ok(page.html.includes(PROVIDER_FORM));
    assert.match(
      page.html,
      /<button [^>]*form="op\.logoutForm" name="logout" value="yes"[^>]*>Sign out<\/button>/,
    );
    assert.match(page.html, /<button [^>]*form="op\.logoutForm">Stay signed in<\/button>/);
    assert.match(page.headers['Content-Security-Policy']!, /form-action 'self' https:\/\/rp\.example;/);
    assert.match(logoutDonePage().html, /<h1>You have signed out<\/h1>/);
  });

  test('error pages default their words by status and never need internals', () => {
    assert.match(errorPage({ status: 404 }).html, /<h1>Page not found<\/h1>/);
    assert.match(errorPage({ status: 502 }).html, /<h1>Something went wrong<\/h1>/);
    assert.match(errorPage({ status: 418 }).html, /<h1>That request was not valid<\/h1>/);
    assert.doesNotMatch(errorPage({ status: 500 }).html, /Quote this reference/);
  });
});
