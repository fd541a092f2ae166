import assert from 'node:assert/strict';
import * as client from 'openid-client';
import type { App } from '../../src/modules/apps/index.ts';
import { CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { formAction, inputValue, TestBrowser } from './browser.ts';
import { operator, PASSWORD, type Tenant } from './factories.ts';
import type { OidcTestServer } from './oidc-server.ts';

/** Where test apps "live": a loopback origin nobody listens on, distinct from the issuer's. */
export const APP_ORIGIN = 'http://127.0.0.1:9';

/** A registered app and openid-client configured as its strict relying party. */
export interface RelyingParty {
  app: App;
  clientSecret?: string;
  config: client.Configuration;
  redirectUri: string;
  postLogoutRedirectUri: string;
}

let apps = 0;

/** openid-client for a client id, over plain http (loopback), expecting ES256-signed ID tokens. */
export function discover(
  server: OidcTestServer,
  clientId: string,
  auth: client.ClientAuth,
): Promise<client.Configuration> {
  return client.discovery(new URL(server.issuer), clientId, { id_token_signed_response_alg: 'ES256' }, auth, {
    execute: [client.allowInsecureRequests],
  });
}

/**
 * Registers a user-facing app for the tenant and discovers the provider for it: a third-party app
 * by the tenant's owner, a first-party one (the default) by the operator, who alone may (SEC-1).
 */
export async function registerApp(
  server: OidcTestServer,
  tenant: Tenant,
  options: {
    kind?: 'web' | 'spa' | 'native';
    firstParty?: boolean;
    name?: string;
    refreshTokenReuseSeconds?: number;
  } = {},
): Promise<RelyingParty> {
  const n = ++apps;
  const redirectUri = `${APP_ORIGIN}/app${n}/callback`;
  const postLogoutRedirectUri = `${APP_ORIGIN}/app${n}/signed-out`;
  const kind = options.kind ?? 'web';
  const firstParty = options.firstParty ?? true;
  const { app, clientSecret } = await server.container.apps.create(
    firstParty ? operator() : tenant.owner,
    tenant.tenantId,
    {
      name: options.name ?? `App ${n}`,
      kind,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [postLogoutRedirectUri],
      firstParty,
      ...(options.refreshTokenReuseSeconds === undefined
        ? {}
        : { refreshTokenReuseSeconds: options.refreshTokenReuseSeconds }),
    },
  );
  const auth = clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret);
  const config = await discover(server, app.clientId, auth);
  return clientSecret === undefined
    ? { app, config, redirectUri, postLogoutRedirectUri }
    : { app, clientSecret, config, redirectUri, postLogoutRedirectUri };
}

/** The relying party of an app registered elsewhere (through the API or the command line). */
export async function relyingPartyOf(
  server: OidcTestServer,
  app: App,
  clientSecret: string | undefined,
  redirectUri = app.redirectUris[0]!,
): Promise<RelyingParty> {
  const auth = clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret);
  const config = await discover(server, app.clientId, auth);
  const postLogoutRedirectUri = app.postLogoutRedirectUris[0] ?? redirectUri;
  return clientSecret === undefined
    ? { app, config, redirectUri, postLogoutRedirectUri }
    : { app, clientSecret, config, redirectUri, postLogoutRedirectUri };
}

/** An authorization request as the app sent it, with what it must keep to redeem the code. */
export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  state: string;
}

/** A code request with PKCE (S256) and state for `openid`; `params` add to or override its parameters. */
export async function authorizationRequest(
  rp: RelyingParty,
  params: { scope?: string } & Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  return { url, verifier, state };
}

/** A page the browser landed on (the end of a chain of same-origin redirects), or the redirect that left. */
export interface Landing {
  status: number;
  location: URL;
  html: string;
  headers: Headers;
  /** Whether the chain ended with a redirect to another origin (the app's redirect URI). */
  left: boolean;
}

export async function visit(
  browser: TestBrowser,
  server: OidcTestServer,
  url: string | URL,
  form?: Record<string, string>,
): Promise<Landing> {
  const { res, location } = await browser.follow(url, server.issuer, form ? { form } : {});
  const html = await res.text();
  const left = location.origin !== server.issuer;
  return { status: res.status, location, html, headers: res.headers, left };
}

/** What the landing page is, by its content. */
export function isLoginPage(page: Landing): boolean {
  return (
    !page.left &&
    /<input[^>]*name="password"/.test(page.html) &&
    page.location.pathname.startsWith('/interaction/')
  );
}

export function isConsentPage(page: Landing): boolean {
  return !page.left && /name="decision" value="allow"/.test(page.html);
}

function formActionOf(page: Landing, pattern: RegExp): string {
  const action = formAction(page.html, pattern);
  assert.ok(action, `no form posting to ${pattern} on the page at ${page.location}`);
  return action;
}

/** Posts username and password on a sign-in page and follows where that leads. */
export function submitLogin(
  browser: TestBrowser,
  server: OidcTestServer,
  page: Landing,
  credentials: { username?: string; password?: string; csrf?: string | null } = {},
): Promise<Landing> {
  assert.ok(
    isLoginPage(page),
    `expected the sign-in page, got ${page.status} at ${page.location}\n${page.html}`,
  );
  const form: Record<string, string> = {
    username: credentials.username ?? 'founder',
    password: credentials.password ?? PASSWORD,
  };
  const csrf = credentials.csrf === undefined ? inputValue(page.html, 'csrf') : credentials.csrf;
  if (csrf !== null && csrf !== undefined) form.csrf = csrf;
  return visit(browser, server, new URL(formActionOf(page, /\/login$/), server.issuer), form);
}

/**
 * oidc-provider's self-submitting form (e.g. the sign-out of the previous user when another one signs
 * in): posts it as a browser running its script would, and follows where that leads.
 */
export function submitSelfPostingForm(
  browser: TestBrowser,
  server: OidcTestServer,
  page: Landing,
): Promise<Landing> {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(page.html);
  assert.ok(
    form && /document\.forms\[0\]\.submit\(\)/.test(page.html),
    `not a self-posting form:\n${page.html}`,
  );
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/>/g))
    fields[m[1]!] = m[2]!.replace(/&amp;/g, '&');
  return visit(browser, server, new URL(form[1]!.replace(/&amp;/g, '&'), server.issuer), fields);
}

/** Answers a consent page and follows where that leads. */
export function submitConsent(
  browser: TestBrowser,
  server: OidcTestServer,
  page: Landing,
  decision: 'allow' | 'deny',
  options: { csrf?: string | null } = {},
): Promise<Landing> {
  assert.ok(
    isConsentPage(page),
    `expected the consent page, got ${page.status} at ${page.location}\n${page.html}`,
  );
  const form: Record<string, string> = { decision };
  const csrf = options.csrf === undefined ? inputValue(page.html, 'csrf') : options.csrf;
  if (csrf !== null && csrf !== undefined) form.csrf = csrf;
  return visit(browser, server, new URL(formActionOf(page, /\/consent$/), server.issuer), form);
}

/**
 * SESS-1 from the browser's side: opens the authorization URL, signs in when asked, answers consent
 * when asked (and `consent` says how), and returns the redirect back to the app (code or error).
 */
export async function signIn(
  browser: TestBrowser,
  server: OidcTestServer,
  request: AuthorizationRequest,
  options: { username?: string; password?: string; consent?: 'allow' | 'deny' } = {},
): Promise<URL> {
  let page = await visit(browser, server, request.url);
  if (isLoginPage(page)) page = await submitLogin(browser, server, page, options);
  if (isConsentPage(page) && options.consent)
    page = await submitConsent(browser, server, page, options.consent);
  assert.ok(
    page.left,
    `expected a redirect back to the app, got ${page.status} at ${page.location}\n${page.html}`,
  );
  return page.location;
}

/** Redeems the code in a callback URL as the app would (checks state, PKCE, iss, ID token). */
export function redeem(rp: RelyingParty, request: AuthorizationRequest, callback: URL) {
  return client.authorizationCodeGrant(rp.config, callback, {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
  });
}

/** The whole code flow in a fresh (or given) browser: the tokens and the callback they came from. */
export async function codeFlow(
  server: OidcTestServer,
  rp: RelyingParty,
  options: {
    scope?: string;
    username?: string;
    password?: string;
    browser?: TestBrowser;
    consent?: 'allow' | 'deny';
  } = {},
) {
  const browser = options.browser ?? new TestBrowser();
  const request = await authorizationRequest(rp, { scope: options.scope ?? 'openid' });
  const callback = await signIn(browser, server, request, options);
  const tokens = await redeem(rp, request, callback);
  return { browser, request, callback, tokens };
}

/** The error an openid-client call fails with: its OAuth `error` code (or rethrows a non-OAuth failure). */
export async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof client.ResponseBodyError) return { error: err.error, status: err.status };
    if (err instanceof client.AuthorizationResponseError) return { error: err.error };
    if (err instanceof client.WWWAuthenticateChallengeError) {
      // A 401 with a challenge: the body is still unread and carries the OAuth error.
      const body = (await err.response.json()) as { error?: string };
      return { error: body.error ?? String(err.cause[0]?.parameters.error), status: err.status };
    }
    throw err;
  }
  assert.fail('expected the call to fail with an OAuth error');
}

/** The JOSE header of a compact JWT. */
export function jwtHeader(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The parameters of a redirect back to the app: its query, or its fragment (implicit-style response modes). */
export function responseParams(callback: URL): URLSearchParams {
  return callback.hash ? new URLSearchParams(callback.hash.slice(1)) : callback.searchParams;
}

/** The `error` of a redirect back to the app, after checking that it carries no code or token. */
export function errorOf(callback: URL): string | null {
  const params = responseParams(callback);
  for (const issued of ['code', 'access_token', 'id_token'])
    assert.equal(params.get(issued), null, `expected an error redirect without a ${issued}, got ${callback}`);
  return params.get('error');
}

/**
 * The console's sign-in as its script drives it (src/console/assets/auth.js): the public client
 * `canopy-console`, the org named, PKCE, the code redeemed at the token endpoint. Its redirect URI
 * is Canopy's own page, so the browser stays on the issuer's origin: the callback is where it lands.
 */
export async function consoleSignIn(
  server: OidcTestServer,
  domain: string,
  options: { browser?: TestBrowser; username?: string } = {},
) {
  const browser = options.browser ?? new TestBrowser();
  const config = await discover(server, CONSOLE_CLIENT_ID, client.None());
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: `${server.issuer}/console/`,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    org: domain,
  });
  let page = await visit(browser, server, url);
  /** The org's sign-in page, when the browser had no session yet. */
  const loginPage = isLoginPage(page) ? page.html : undefined;
  if (loginPage) page = await submitLogin(browser, server, page, { username: options.username });
  assert.equal(
    page.location.pathname,
    '/console/',
    `expected the console, got ${page.location}\n${page.html}`,
  );
  const tokens = await client.authorizationCodeGrant(config, page.location, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { browser, config, tokens, loginPage };
}
