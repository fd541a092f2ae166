import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

// Browser tests drive the system's Chromium (Debian's `chromium` package) through playwright-core.
// Playwright never downloads a browser here: every launch names the executable.

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The Chromium executable: `CHROMIUM_PATH`, or Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * Why browser tests cannot run here, for `describe(..., { skip: e2eSkipReason() })`; undefined when
 * Chromium is present. With `CANOPY_E2E_REQUIRED` set (CI sets it), a missing browser throws instead
 * of skipping, so it fails the run rather than passing it silently.
 */
export function e2eSkipReason(): string | undefined {
  const path = chromiumPath();
  if (existsSync(path)) return undefined;
  const install = `install it with \`apt-get install chromium\`, or set CHROMIUM_PATH to a Chromium executable`;
  if (process.env.CANOPY_E2E_REQUIRED) {
    throw new Error(
      `browser tests are required (CANOPY_E2E_REQUIRED) but Chromium is missing at ${path}: ${install}`,
    );
  }
  return `Chromium not found at ${path}: ${install} (browser tests skipped)`;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A headless Chromium; close it in `after`. A browser that has not started in 30 s fails the test. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** How long one browser step (navigation, wait for an element) may take before the test fails. */
export const STEP_TIMEOUT_MS = 15_000;

export interface FreshPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and CSP violations seen so far; see `assertNone`. */
  problems: PageProblems;
}

/**
 * A page in a new browser context (its own cookies and storage, nothing shared with other tests),
 * watched for problems from its first document on. Close `context` when done.
 */
export async function freshPage(browser: Browser): Promise<FreshPage> {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = await watchForProblems(page);
  return { context, page, problems };
}

export interface PageProblems {
  readonly list: readonly string[];
  /** Fails the test with every problem seen, if any. */
  assertNone(expected?: readonly RegExp[]): void;
}

/**
 * Collects what a clean page never produces: `console.error` messages (Chromium also logs refused
 * resources and CSP violations there), uncaught exceptions, and `securitypolicyviolation` events
 * (caught by a listener installed in every document, so violations are named even when Chromium's
 * console wording changes). Call before the first navigation.
 *
 * An admin API answer of 4xx is not a problem: it is how the console learns that input is invalid
 * or a permission is missing, and the console shows it. Chromium still logs such a fetch as a
 * console error, so those (and only those) are left out; a 5xx or any other failed resource counts.
 */
export async function watchForProblems(page: Page): Promise<PageProblems> {
  const list: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url, lineNumber } = message.location();
    if (isExpectedApiRefusal(message.text(), url)) return;
    list.push(`console error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  });
  page.on('pageerror', (error) => list.push(`uncaught error: ${error.stack ?? error.message}`));
  await page.exposeBinding('__canopyReportCspViolation', ({ frame }, violation: string) => {
    list.push(`CSP violation on ${frame.url()}: ${violation}`);
  });
  // Runs through the DevTools protocol, not as a page script, so the page's CSP does not block it.
  await page.addInitScript(`addEventListener('securitypolicyviolation', (e) => {
  void globalThis.__canopyReportCspViolation(
    e.disposition + ' ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || '(inline)') +
      (e.sourceFile ? ' at ' + e.sourceFile + ':' + e.lineNumber : ''),
  );
});`);
  return {
    list,
    /** Fails on any problem but those a test provoked on purpose and names in `expected`. */
    assertNone(expected: readonly RegExp[] = []) {
      const unexpected = list.filter((problem) => !expected.some((pattern) => pattern.test(problem)));
      assert.deepEqual(
        unexpected,
        [],
        `the page reported ${unexpected.length} problem(s):\n${unexpected.join('\n')}`,
      );
    },
  };
}

const REFUSED_RESOURCE = /^Failed to load resource: the server responded with a status of 4\d\d\b/;

function isExpectedApiRefusal(text: string, url: string | undefined): boolean {
  return REFUSED_RESOURCE.test(text) && url !== undefined && new URL(url).pathname.startsWith('/api/v1/');
}

/**
 * Waits until the console has rendered the view its current address names: `#view` carries the
 * hash it last rendered (`data-rendered`) and no `aria-busy`. After an action that re-renders the
 * same address, wait for what changed instead (the hash already matches before the render starts).
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const view = document.getElementById('view');
    return view !== null && !view.hasAttribute('aria-busy') && view.dataset.rendered === window.location.hash;
  });
}

/** `<repo>/test-results/<name>.png` (the folder is created; it is gitignored). */
export function screenshotPath(name: string): string {
  const dir = join(REPO_ROOT, 'test-results');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

const AXE_SOURCE = readFileSync(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8');

/**
 * Runs axe-core's WCAG 2.x A and AA rules on the page as it is now and fails on every violation
 * it finds. axe is evaluated through the DevTools protocol, so the page's CSP neither blocks it
 * nor needs loosening for it.
 */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, options: unknown): Promise<AxeResults> } }
    ).axe;
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  });
  assert.deepEqual(violations, [], `accessibility violations on ${where}:\n${violations.join('\n')}`);
}

interface AxeResults {
  violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
}

/**
 * Signs in on the org's sign-in page (`/login/<domain>`) and waits until the console is back with
 * a session (its own code exchange finished is the caller's to wait for, by something it shows).
 */
export async function signInToConsole(
  page: Page,
  issuer: string,
  login: { domain: string; username: string; password: string },
): Promise<void> {
  await page.goto(`${issuer}/login/${login.domain}`);
  await page.getByLabel('Username').fill(login.username);
  await page.getByLabel('Password', { exact: true }).fill(login.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.origin === issuer && url.pathname === '/console/');
}
