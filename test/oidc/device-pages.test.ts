import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceCodePage, deviceConfirmPage, deviceDonePage, type Page } from '../../src/web/index.ts';
import { timeAgo } from '../../src/web/templates/device.ts';

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
    deviceConfirmPage({ form, appName: EVIL, orgName: EVIL, userCode: EVIL, origin: EVIL, now: new Date() }),
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

test('RFC 8628 §5.4 the confirmation lists what it knows of the request, and leaves out what it does not', () => {
  const now = new Date('2026-03-01T12:30:00Z');
  const full = deviceConfirmPage({
    form,
    appName: 'Deploy bot',
    orgName: 'Acme',
    userCode: 'BCDF-GHJK',
    requestedAt: new Date('2026-03-01T12:21:30Z'),
    origin: '198.51.100.x',
    now,
  });
  assert.match(
    full.html,
    /<dd>8 minutes ago \(<time datetime="2026-03-01T12:21:30.000Z">1 March 2026 at 12:21 UTC<\/time>\)<\/dd>/,
  );
  assert.match(full.html, /<dd class="reference">198\.51\.100\.x<\/dd>/);
  assert.match(full.html, /<dd class="reference">BCDF-GHJK<\/dd>/);
  const bare = deviceConfirmPage({ form, appName: 'Deploy bot', userCode: 'BCDF-GHJK', now });
  assert.doesNotMatch(bare.html, /<dt>(Organization|Requested|From network)<\/dt>/);
  assert.match(bare.html, /Continue only if you started this sign-in yourself/);
});

test('RFC 8628 §5.4 how long ago, in words', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const ago = (ms: number) => timeAgo(new Date(now.getTime() - ms), now);
  assert.equal(ago(-5_000), 'just now', 'a clock a little ahead on another node');
  assert.equal(ago(59_999), 'just now');
  assert.equal(ago(60_000), '1 minute ago');
  assert.equal(ago(9 * 60_000 + 59_000), '9 minutes ago');
  assert.equal(ago(60 * 60_000), '1 hour ago');
  assert.equal(ago(5 * 60 * 60_000), '5 hours ago');
});
