import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceCodePage, deviceConfirmPage, deviceDonePage, type Page } from '../../src/web/index.ts';

// The device flow's templates: the same clean, strict documents as every other page, with
// everything they are given escaped (app and org names come from tenants, codes from the user).

const EVIL = '"><script>alert(1)</script>';
const ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;';
const form = { action: 'http://localhost:3000/oidc/device', xsrf: EVIL };

function assertClean(page: Page): void {
  assert.match(page.html, /^<!doctype html>\n<html lang="en">/);
  assert.doesNotMatch(page.html, /<script|<style|style=|\son[a-z]+=/i);
  assert.equal(page.headers['Cache-Control'], 'no-store');
  assert.match(page.headers['Content-Security-Policy']!, /^default-src 'none'/);
  assert.doesNotMatch(page.headers['Content-Security-Policy']!, /unsafe/);
}

test('SESS-1 device pages render clean documents and escape what they are given', () => {
  const pages = [
    deviceCodePage({ form, userCode: EVIL, problem: 'not_found' }),
    deviceConfirmPage({ form, appName: EVIL, orgName: EVIL, userCode: EVIL }),
    deviceDonePage({ outcome: 'signed_in', appName: EVIL }),
    deviceDonePage({ outcome: 'cancelled', appName: EVIL }),
  ];
  for (const page of pages) {
    assertClean(page);
    assert.match(page.html, new RegExp(ESCAPED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }
});

test('SESS-1 the code-entry page labels its field and names the problem next to it', () => {
  const fresh = deviceCodePage({ form: { action: '/oidc/device', xsrf: 'x' } });
  assert.match(fresh.html, /<label for="user_code">Code<\/label>/);
  assert.doesNotMatch(fresh.html, /error-summary/);
  for (const [problem, words] of [
    ['not_found', /not right, or it has expired/],
    ['expired', /has expired/],
    ['used', /already been used/],
    ['missing', /Enter the code/],
  ] as const) {
    const page = deviceCodePage({ form: { action: '/oidc/device', xsrf: 'x' }, problem });
    assert.match(page.html, words, problem);
    assert.match(page.html, /aria-invalid="true"/, problem);
    assert.match(page.html, /<title>Error: /, problem);
  }
});
