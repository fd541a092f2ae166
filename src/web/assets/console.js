// Canopy's console, first step: signs the user in through Canopy itself (code flow with PKCE, as
// a public client) and shows who they are and their roles. Plain ES module, no framework; all
// text goes in through textContent, never as HTML.
const CLIENT_ID = 'canopy-console';
const ORIGIN = window.location.origin;
const REDIRECT_URI = `${ORIGIN}/console/`;
const STORE = 'canopy.console';

const main = document.getElementById('console');
const saved = () => JSON.parse(sessionStorage.getItem(STORE) ?? '{}');
const save = (value) => sessionStorage.setItem(STORE, JSON.stringify(value));

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function show(...nodes) {
  main.replaceChildren(...nodes);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

async function startSignIn(org) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  save({ verifier, state, org });
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

async function finishSignIn(params) {
  const pending = saved();
  if (!pending.state || params.get('state') !== pending.state)
    throw new Error('This sign-in did not start here. Please sign in again.');
  const response = await fetch('/oidc/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json();
  if (!response.ok) throw new Error(tokens.error_description ?? 'The sign-in could not be completed.');
  save({ org: pending.org, accessToken: tokens.access_token, idToken: tokens.id_token });
  window.history.replaceState(null, '', REDIRECT_URI);
}

async function showProfile() {
  const { accessToken, idToken, org } = saved();
  const response = await fetch('/oidc/me', { headers: { authorization: `Bearer ${accessToken}` } });
  if (!response.ok) {
    // The session has ended (idle timeout, sign-out elsewhere, account disabled): sign in again.
    sessionStorage.removeItem(STORE);
    if (org) return startSignIn(org);
    return showSignedOut();
  }
  const me = await response.json();
  const roles = el('ul');
  for (const line of me.org_roles ?? []) {
    roles.append(
      el(
        'li',
        `${line.roles.join(', ')} — ${line.environment ? `environment ${line.environment} of ` : ''}node ${line.org}${line.inherit ? ' and below' : ''}`,
      ),
    );
  }
  if (!roles.children.length)
    roles.append(el('li', 'No roles yet: an administrator of your organization can grant them.'));
  const signOut = el('a', 'Sign out', { class: 'button button-secondary', href: '#' });
  signOut.addEventListener('click', (event) => {
    event.preventDefault();
    sessionStorage.removeItem(STORE);
    const url = new URL('/oidc/session/end', ORIGIN);
    url.searchParams.set('client_id', CLIENT_ID);
    url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('post_logout_redirect_uri', `${ORIGIN}/console/signed-out`);
    window.location.assign(url);
  });
  show(
    el('h1', `Signed in as ${me.name ?? me.preferred_username}`),
    el('p', `Username ${me.preferred_username ?? ''} · ${me.email ?? ''} · organization ${me.org_domain}`),
    el('h2', 'Your roles'),
    roles,
    signOut,
  );
}

function showSignedOut() {
  const form = el('form', undefined, { class: 'stack' });
  const label = el('label', 'Your organization’s domain', { for: 'org' });
  const input = el('input', undefined, {
    id: 'org',
    name: 'org',
    autocomplete: 'organization',
    required: '',
  });
  form.append(label, input, el('button', 'Sign in', { class: 'button', type: 'submit' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    window.location.assign(`/login/${encodeURIComponent(input.value.trim().toLowerCase())}`);
  });
  show(el('h1', 'Sign in to Canopy'), form);
}

async function run() {
  const params = new URLSearchParams(window.location.search);
  try {
    if (params.has('error')) throw new Error(params.get('error_description') ?? params.get('error'));
    if (params.has('code')) await finishSignIn(params);
    else if (params.has('org')) return await startSignIn(params.get('org'));
    if (saved().accessToken) return await showProfile();
    showSignedOut();
  } catch (err) {
    show(
      el('h1', 'Sign-in failed'),
      el('p', err.message),
      el('p', 'Go back to your organization’s sign-in page and try again.'),
    );
  }
}

void run();
