import assert from 'node:assert/strict';
import { formAction, inputValue, type TestBrowser } from './browser.ts';
import type { OidcTestServer } from './oidc-server.ts';
import { APP_ORIGIN, type AuthorizationRequest, type Landing, visit } from './sso-flow.ts';

/** Where a chain of redirects across origins stopped: a page, or a URL the test wanted to catch. */
export interface Stop {
  status: number;
  location: URL;
  html: string;
  /** True when the chain was stopped at `stopAt` (the request there was not made). */
  caught: boolean;
}

/**
 * Follows redirects across every origin (Canopy, the company's IdP), as a browser does, until a
 * page, the app's redirect URI, or a URL matching `stopAt` (not requested: the test takes it).
 */
export async function followAll(
  browser: TestBrowser,
  url: URL,
  init: { form?: Record<string, string>; stopAt?: (url: URL) => boolean } = {},
): Promise<Stop> {
  const stopAt = (u: URL) => u.origin === APP_ORIGIN || (init.stopAt?.(u) ?? false);
  if (stopAt(url)) return { status: 0, location: url, html: '', caught: true };
  let at = url;
  let res = await browser.request(at, init.form ? { form: init.form } : {});
  for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
    await res.text();
    at = new URL(res.headers.get('location')!, at);
    if (stopAt(at)) return { status: res.status, location: at, html: '', caught: true };
    res = await browser.request(at);
  }
  return { status: res.status, location: at, html: await res.text(), caught: false };
}

/** The provider buttons of a login page: their names and where they post. */
export function providerButtons(html: string): { name: string; action: string }[] {
  const buttons: { name: string; action: string }[] = [];
  for (const m of html.matchAll(
    /<form method="post" action="([^"]*\/federate\/[^"]*)">[\s\S]*?Sign in with ([^<]*)<\/button>/g,
  )) {
    buttons.push({ action: m[1]!.replace(/&amp;/g, '&'), name: m[2]!.replace(/&amp;/g, '&') });
  }
  return buttons;
}

/**
 * FED-2: opens the app's authorization request, picks `providerName` on Canopy's login page, and
 * follows the browser through the company's IdP and back (stopping where `stopAt` says).
 */
export async function federate(
  browser: TestBrowser,
  canopy: OidcTestServer,
  request: AuthorizationRequest,
  providerName: string,
  stopAt?: (url: URL) => boolean,
): Promise<Stop & { loginPage: Landing }> {
  const loginPage = await visit(browser, canopy, request.url);
  const button = providerButtons(loginPage.html).find((b) => b.name === providerName);
  assert.ok(button, `no "${providerName}" button on the page at ${loginPage.location}:\n${loginPage.html}`);
  const csrf = inputValue(loginPage.html, 'csrf');
  assert.ok(csrf);
  const stop = await followAll(browser, new URL(button.action, canopy.issuer), {
    form: { csrf },
    ...(stopAt ? { stopAt } : {}),
  });
  return { ...stop, loginPage };
}

/** The action of the password form, if the page has one. */
export const passwordFormAction = (html: string) => formAction(html, /\/login$/);
