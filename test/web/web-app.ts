import assert from 'node:assert/strict';
import express, { type Express } from 'express';
import type { Container } from '../../src/container.ts';
import { createPageRoutes, type PageDeps } from '../../src/pages/index.ts';
import type { Clock } from '../../src/platform/clock.ts';
import { errorHandler, notFoundHandler } from '../../src/platform/http/error-handler.ts';
import { requestContext } from '../../src/platform/http/request-context.ts';

export const CSRF_KEY = Buffer.alloc(32, 0x5a);

/** The page routes mounted as src/app.ts mounts them, with a fixed CSRF key and the test's clock. */
export function webApp(c: Container, clock: Clock, overrides: Partial<PageDeps> = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(c.logger, c.metrics));
  app.use(
    createPageRoutes({
      config: c.config,
      logger: c.logger,
      signUp: c.signUp,
      signupThrottle: c.signupThrottle,
      organizations: c.organizations,
      emailVerification: c.accounts.emailVerification,
      csrfKey: CSRF_KEY,
      clock,
      ...overrides,
    }),
  );
  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}

export const EXPECTED_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The CSRF token of a rendered form. */
export function csrfTokenOf(page: string): string {
  const match = /<input type="hidden" name="csrf" value="([^"]+)">/.exec(page);
  assert.ok(match, 'the page has a hidden csrf field');
  return match[1]!;
}

/** `name=value` of the browser-id cookie a response set. */
export function browserCookieOf(setCookie: string[] | string | undefined): string {
  const cookies = ([] as string[]).concat(setCookie ?? []);
  const cookie = cookies.find((c) => c.startsWith('canopy_browser='));
  assert.ok(cookie, `a browser-id cookie is set: ${cookies.join(' | ')}`);
  return cookie.split(';')[0]!;
}

/** What every page must be: a complete document with no script and no inline style. */
export function assertCleanPage(page: string): void {
  assert.match(page, /^<!doctype html>\n<html lang="en">/);
  assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(page, /<link rel="stylesheet" href="\/assets\/canopy\.css\?v=[0-9a-f]{12}">/);
  assert.doesNotMatch(page, /<script/i);
  assert.doesNotMatch(page, /style=/i);
  assert.doesNotMatch(page, /<style/i);
  const withoutValues = page.replace(/"[^"]*"/g, '""');
  assert.doesNotMatch(withoutValues, /\son[a-z]+=/i, 'no event-handler attributes');
}
