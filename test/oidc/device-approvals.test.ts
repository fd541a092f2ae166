import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestBrowser } from '../helpers/browser.ts';
import {
  answerConfirmation,
  approveInBrowser,
  type DeviceAuthorization,
  deviceFlowServer,
  openConfirmation,
  pollToken,
  startDeviceFlow,
} from '../helpers/device-flow.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import type { OidcTestServer } from '../helpers/oidc-server.ts';

// What the person approving a device code is shown (RFC 8628 §5.4: the app, the org, when and from
// which network it was requested) and what an approval or a refusal leaves in the audit log (AUD-1).
// The flow itself is in device-flow.test.ts.

const MINUTE = 60_000;

describe('device flow for canopy-cli', () => {
  const server = deviceFlowServer({ companyName: 'Acme Device Co' });
  let s: OidcTestServer;
  let t: Tenant;
  let domain: string;
  before(() => ({ s, t, domain } = server));

  /** Signs `browser` in through a device code of `org` and returns the command line's access token. */
  const tokenVia = async (org: string, browser = new TestBrowser(), username?: string) => {
    const device = await startDeviceFlow(s, org);
    await approveInBrowser(s, device, { browser, username });
    const poll = await pollToken(s, device.device_code);
    assert.equal(poll.status, 200, JSON.stringify(poll.body));
    return String(poll.body.access_token);
  };

  /** The entries of one action in a master org's audit log, read through the admin API (newest first). */
  const auditEntries = async (token: string, tenantId: string, action: string) => {
    const url = new URL(`/api/v1/organizations/${tenantId}/audit-log`, s.issuer);
    url.search = new URLSearchParams({ action, limit: '200' }).toString();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { entries: Array<Record<string, unknown>> };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.entries;
  };

  const assertNoCode = (entry: unknown, device: DeviceAuthorization) => {
    const text = JSON.stringify(entry);
    for (const secret of [device.device_code, device.user_code, device.user_code.replace('-', '')]) {
      assert.ok(!text.includes(secret), `no device or user code in ${text}`);
    }
  };

  test('AUD-1 RFC 8628 an approval leaves one device.approved entry: the person, the client, when and from which network it was requested; no code', async () => {
    const founder = await tokenVia(domain);
    const before = await auditEntries(founder, t.tenantId, 'device.approved');
    const requestedAt = s.clock.now().toISOString();
    const device = await startDeviceFlow(s, domain);
    s.clock.advance(90_000);
    await approveInBrowser(s, device);
    assert.equal((await pollToken(s, device.device_code)).status, 200);

    const entries = await auditEntries(founder, t.tenantId, 'device.approved');
    assert.equal(entries.length, before.length + 1, 'one entry for one approval');
    const entry = entries[0]!;
    assert.deepEqual(entry.actor, { type: 'user', id: t.user.id });
    assert.deepEqual(entry.target, { type: 'client', id: 'canopy-cli' });
    assert.equal(entry.organizationId, t.tenantId);
    assert.equal(entry.outcome, 'success');
    assert.deepEqual(entry.after, {
      clientName: 'Canopy command line',
      requestOrigin: '127.0.0.x',
      requestedAt,
    });
    assertNoCode(entry, device);
  });

  test('AUD-1 RFC 8628 a refusal leaves one device.denied entry: by the person signed in to the org, else anonymous (another org’s user too); no code', async () => {
    const browser = new TestBrowser();
    const founder = await tokenVia(domain, browser);
    const denied = () => auditEntries(founder, t.tenantId, 'device.denied');
    const count = (await denied()).length;

    const byFounder = await startDeviceFlow(s, domain);
    await answerConfirmation(browser, s, await openConfirmation(browser, s, byFounder), 'abort');
    let entries = await denied();
    assert.equal(entries.length, count + 1, 'one entry for one refusal');
    assert.deepEqual(entries[0]!.actor, { type: 'user', id: t.user.id });
    assert.deepEqual(entries[0]!.target, { type: 'client', id: 'canopy-cli' });
    assert.equal((entries[0]!.after as { requestOrigin?: string }).requestOrigin, '127.0.0.x');
    assertNoCode(entries[0], byFounder);

    // Another org's user, signed in to their own org in this browser, cancels a code of this org:
    // recorded here, as anonymous (their id is not this org's business), and not in their org.
    const other = await signUpTenant(s.container);
    const theirBrowser = new TestBrowser();
    const theirs = await tokenVia(other.organization.domain!, theirBrowser);
    const byOutsider = await startDeviceFlow(s, domain);
    await answerConfirmation(theirBrowser, s, await openConfirmation(theirBrowser, s, byOutsider), 'abort');
    entries = await denied();
    assert.equal(entries.length, count + 2);
    assert.deepEqual(entries[0]!.actor, { type: 'anonymous', id: null });
    assertNoCode(entries[0], byOutsider);
    assert.equal((await auditEntries(theirs, other.tenantId, 'device.denied')).length, 0);
  });

  test('AUD-1 RFC 8628 no approval without its entry: when the audit log refuses it, the device gets no token', async () => {
    const knex = s.container.database.knex;
    // The database itself refuses the entry (as when it fails mid-request): no stand-in for the service.
    await knex.raw(`create function refuse_device_approval() returns trigger language plpgsql as $$
      begin raise exception 'audit log unavailable'; end $$`);
    await knex.raw(`create trigger refuse_device_approval before insert on audit_log for each row
      when (new.action = 'device.approved') execute function refuse_device_approval()`);
    try {
      const device = await startDeviceFlow(s, domain);
      const done = await approveInBrowser(s, device);
      assert.doesNotMatch(done.html, /You are signed in/);
      const poll = await pollToken(s, device.device_code);
      assert.equal(poll.status, 400, JSON.stringify(poll.body));
      assert.equal(poll.body.error, 'server_error', 'the code is spent, not left approved');
      assert.equal(poll.body.access_token, undefined);
    } finally {
      await knex.raw('drop trigger refuse_device_approval on audit_log');
      await knex.raw('drop function refuse_device_approval()');
    }
  });
});

describe('device flow: what the confirmation shows', () => {
  // Behind one proxy that Canopy trusts: the requester's address arrives in X-Forwarded-For.
  const server = deviceFlowServer({
    companyName: 'Acme Phish Co',
    config: { server: { trustProxy: true, proxyHops: 1 } },
  });
  let s: OidcTestServer;
  let domain: string;
  before(() => ({ s, domain } = server));

  test('RFC 8628 §5.4 a code sent by someone else is not confirmed blind: the page names the app, the org, when and from which network it was requested (never the full address), and warns', async () => {
    const requestedAt = s.clock.now();
    const device = await startDeviceFlow(s, domain, { 'x-forwarded-for': '203.0.113.77' });
    s.clock.advance(2 * MINUTE + 5_000);
    const page = await openConfirmation(new TestBrowser(), s, device);
    assert.match(page.html, /<dt>App<\/dt>\n<dd>Canopy command line<\/dd>/);
    assert.match(page.html, /<dt>Organization<\/dt>\n<dd>Acme Phish Co<\/dd>/);
    assert.match(
      page.html,
      /<dt>Requested<\/dt>\n<dd>2 minutes ago \(<time datetime="([^"]+)">1 January 2026 at 00:00 UTC<\/time>\)/,
    );
    assert.equal(/<time datetime="([^"]+)">/.exec(page.html)![1], requestedAt.toISOString());
    assert.match(page.html, /<dt>From network<\/dt>\n<dd class="reference">203\.0\.113\.x<\/dd>/);
    assert.doesNotMatch(page.html, /203\.0\.113\.77/, 'never the full address');
    assert.match(page.html, /Continue only if you started this sign-in yourself, on a device you control/);
    assert.match(page.html, /Otherwise cancel/);

    // IPv6: the /48, nothing of the rest.
    const v6 = await startDeviceFlow(s, domain, { 'x-forwarded-for': '2001:db8:85a3:1:2:8a2e:370:7334' });
    const v6page = await openConfirmation(new TestBrowser(), s, v6);
    assert.match(v6page.html, /<dd class="reference">2001:db8:85a3::\/48<\/dd>/);
    assert.doesNotMatch(v6page.html, /8a2e|7334|85a3:1/);
    assert.match(v6page.html, /just now/);
  });
});
