import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { CLI_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { inputValue, TestBrowser } from './browser.ts';
import { signUpTenant, type Tenant } from './factories.ts';
import { type OidcTestServer, startOidcServer } from './oidc-server.ts';
import { isLoginPage, type Landing, submitLogin, submitSelfPostingForm, visit } from './sso-flow.ts';
import type { ConfigOverrides } from './test-container.ts';

// The device flow (RFC 8628) as the command line drives it, with plain HTTP (what curl does), and
// as a person completes it in a browser.

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * A server of the calling `describe`'s own, with a master org to sign in to: registers the hooks that
 * start it before the tests and close it after them. `s`, `t` and `domain` are there once the
 * `before` hooks have run.
 */
export function deviceFlowServer(options: { companyName?: string; config?: ConfigOverrides } = {}) {
  let s: OidcTestServer;
  let t: Tenant;
  before(async () => {
    s = await startOidcServer({ config: options.config });
    t = await signUpTenant(s.container, { companyName: options.companyName });
  });
  after(() => s.close());
  return {
    get s() {
      return s;
    },
    get t() {
      return t;
    },
    get domain() {
      return t.organization.domain!;
    },
  };
}

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  /** Seconds to wait between polls (RFC 8628 §3.2). */
  interval: number;
}

/** A form POST to a provider endpoint; the JSON answer and its status. */
export async function postForm(
  server: OidcTestServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await fetch(new URL(path, server.issuer), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * `POST /oidc/device/auth` as `canopy-cli`; `org` is left out when undefined. `headers` stand for
 * what a proxy adds (X-Forwarded-For, on a server that trusts it).
 */
export function requestDeviceCode(
  server: OidcTestServer,
  org: string | undefined,
  options: { scope?: string; headers?: Record<string, string> } = {},
) {
  const form = {
    client_id: CLI_CLIENT_ID,
    scope: options.scope ?? 'openid',
    ...(org === undefined ? {} : { org }),
  };
  return postForm(server, '/oidc/device/auth', form, options.headers);
}

/** A device authorization that must succeed. */
export async function startDeviceFlow(
  server: OidcTestServer,
  org: string,
  headers?: Record<string, string>,
): Promise<DeviceAuthorization> {
  const { status, body } = await requestDeviceCode(server, org, { headers });
  assert.equal(status, 200, JSON.stringify(body));
  return body as unknown as DeviceAuthorization;
}

/**
 * One poll of the token endpoint, as the command line does while the person is in the browser. A
 * pending code may be polled once per interval (by the server's clock): see `pollAfterInterval`.
 */
export function pollToken(server: OidcTestServer, deviceCode: string) {
  return postForm(server, '/oidc/token', {
    grant_type: DEVICE_CODE_GRANT,
    device_code: deviceCode,
    client_id: CLI_CLIENT_ID,
  });
}

/** A poll as a well-behaved device makes it: after waiting the interval (on the test clock). */
export function pollAfterInterval(server: OidcTestServer, device: { device_code: string; interval: number }) {
  server.clock.advance(device.interval * 1000);
  return pollToken(server, device.device_code);
}

export function refreshToken(server: OidcTestServer, refresh: string) {
  return postForm(server, '/oidc/token', {
    grant_type: 'refresh_token',
    refresh_token: refresh,
    client_id: CLI_CLIENT_ID,
  });
}

/** `GET /api/v1/me` with a bearer token, over HTTP. */
export async function apiMe(server: OidcTestServer, token: string) {
  const res = await fetch(new URL('/api/v1/me', server.issuer), {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The code-entry page at `verification_uri`, fetched by a browser. */
export async function openCodeEntry(browser: TestBrowser, server: OidcTestServer): Promise<Landing> {
  const page = await visit(browser, server, new URL('/oidc/device', server.issuer));
  assert.equal(page.status, 200, page.html);
  return page;
}

/** Types a code into a code-entry page and submits it. */
export function enterCode(
  browser: TestBrowser,
  server: OidcTestServer,
  page: Landing,
  userCode: string,
): Promise<Landing> {
  const xsrf = inputValue(page.html, 'xsrf');
  assert.ok(xsrf, `no code-entry form on the page:\n${page.html}`);
  return visit(browser, server, new URL('/oidc/device', server.issuer), { xsrf, user_code: userCode });
}

/** Opens `verification_uri_complete` (the provider posts the code itself) and lands on the confirmation. */
export async function openConfirmation(
  browser: TestBrowser,
  server: OidcTestServer,
  device: DeviceAuthorization,
): Promise<Landing> {
  const posting = await visit(browser, server, device.verification_uri_complete);
  const page = await submitSelfPostingForm(browser, server, posting);
  assert.ok(isConfirmation(page), `expected the confirmation, got ${page.status}:\n${page.html}`);
  return page;
}

export function isConfirmation(page: Landing): boolean {
  return page.status === 200 && /name="confirm" value="yes"/.test(page.html);
}

/** Answers the confirmation: Continue or Cancel. */
export function answerConfirmation(
  browser: TestBrowser,
  server: OidcTestServer,
  page: Landing,
  answer: 'confirm' | 'abort',
): Promise<Landing> {
  assert.ok(isConfirmation(page), `expected the confirmation, got ${page.status}:\n${page.html}`);
  const form = {
    xsrf: inputValue(page.html, 'xsrf')!,
    user_code: inputValue(page.html, 'user_code')!,
    [answer]: 'yes',
  };
  return visit(browser, server, new URL('/oidc/device', server.issuer), form);
}

/**
 * The person's whole part: opens the link, continues, signs in when asked, and lands on the last
 * page (the success page, or wherever the flow stopped).
 */
export async function approveInBrowser(
  server: OidcTestServer,
  device: DeviceAuthorization,
  options: { browser?: TestBrowser; username?: string } = {},
): Promise<Landing> {
  const browser = options.browser ?? new TestBrowser();
  const confirmation = await openConfirmation(browser, server, device);
  let page = await answerConfirmation(browser, server, confirmation, 'confirm');
  if (isLoginPage(page)) page = await submitLogin(browser, server, page, { username: options.username });
  return page;
}

/** Signs the browser's session out (RP-initiated logout without a client, as from the account menu). */
export async function signOut(browser: TestBrowser, server: OidcTestServer): Promise<Landing> {
  const confirm = await visit(browser, server, new URL('/oidc/session/end', server.issuer));
  const xsrf = inputValue(confirm.html, 'xsrf');
  assert.ok(xsrf, `no logout form:\n${confirm.html}`);
  return visit(browser, server, new URL('/oidc/session/end/confirm', server.issuer), { xsrf, logout: 'yes' });
}
