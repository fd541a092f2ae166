// Signs the administrator in through Canopy itself: the code flow with PKCE as the public client
// `canopy-console`, a refresh token bound to the Canopy session, and sign-out at the provider.
// Tokens live in sessionStorage (one tab, gone with it); the strict CSP keeps foreign script out.
const CLIENT_ID = 'canopy-console';
const ORIGIN = window.location.origin;
const REDIRECT_URI = `${ORIGIN}/console/`;
const STORE = 'canopy.console';

const saved = () => JSON.parse(sessionStorage.getItem(STORE) ?? '{}');
const save = (value) => sessionStorage.setItem(STORE, JSON.stringify(value));

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The organization this tab signs in to, once known. */
export const signedInOrg = () => saved().org;
export const hasTokens = () => Boolean(saved().accessToken);

/** After the master's domain changes (ORG-3), a later sign-in must name the new one. */
export function rememberOrg(org) {
  save({ ...saved(), org });
}

/** Sends the browser to Canopy's authorization endpoint; `returnTo` is the hash to come back to. */
export async function startSignIn(org, returnTo = window.location.hash) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  save({ verifier, state, org, returnTo });
  const url = new URL('/oidc/auth', ORIGIN);
  for (const [k, v] of Object.entries({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    org,
  })) {
    url.searchParams.set(k, v);
  }
  window.location.assign(url);
}

async function tokenRequest(params) {
  const response = await fetch('/oidc/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  });
  const body = await response.json().catch(() => ({}));
  return { ok: response.ok, body };
}

function keep(org, tokens) {
  save({
    org,
    accessToken: tokens.access_token,
    // A refresh answer carries a new refresh token only when the provider rotates it.
    refreshToken: tokens.refresh_token ?? saved().refreshToken,
  });
}

/** Whether `state` is the one of the sign-in this tab started (and has not finished). */
export const isPendingState = (state) => Boolean(state) && saved().state === state;

/** Completes the redirect back from Canopy; answers the hash the sign-in started from. */
export async function finishSignIn(params) {
  const pending = saved();
  if (!pending.state || params.get('state') !== pending.state)
    throw new Error('This sign-in did not start here. Please sign in again.');
  const { ok, body } = await tokenRequest({
    grant_type: 'authorization_code',
    code: params.get('code') ?? '',
    redirect_uri: REDIRECT_URI,
    code_verifier: pending.verifier,
  });
  if (!ok) throw new Error(body.error_description ?? 'The sign-in could not be completed.');
  keep(pending.org, body);
  window.history.replaceState(null, '', `${REDIRECT_URI}${pending.returnTo ?? ''}`);
}

export const accessToken = () => saved().accessToken;

let refreshing;

/**
 * A new access token from the refresh token; false when the Canopy session has ended. Requests
 * that fail together share one refresh: a rotated refresh token must never be presented twice.
 */
export function refresh() {
  refreshing ??= refreshOnce().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

async function refreshOnce() {
  const { org, refreshToken } = saved();
  if (!refreshToken) return false;
  const { ok, body } = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
  if (!ok) return false;
  keep(org, body);
  return true;
}

let leaving = false;

/** The session is over (idle timeout, sign-out elsewhere, account disabled): sign in again. */
export function signInAgain() {
  if (leaving) return; // several requests may learn it at once; one redirect is enough
  leaving = true;
  const { org } = saved();
  sessionStorage.removeItem(STORE);
  if (org) return startSignIn(org);
  window.location.assign('/console/');
}

export function signOut() {
  sessionStorage.removeItem(STORE);
  // client_id, not id_token_hint: a hint signed by a since-revoked key (SEC-11) would be refused.
  const url = new URL('/oidc/session/end', ORIGIN);
  url.searchParams.set('client_id', CLIENT_ID);
  url.searchParams.set('post_logout_redirect_uri', `${ORIGIN}/console/signed-out`);
  window.location.assign(url);
}
