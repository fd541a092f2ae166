// Canopy's admin console: a client of /api/v1 only, signed in through Canopy itself. Plain ES
// modules, no framework, no build step; each view is loaded when first opened.
import { api, onActivity } from './api.js';
import { finishSignIn, hasTokens, isPendingState, signedInOrg, signOut, startSignIn } from './auth.js';
import { createContext } from './context.js';
import { errorBox, field, fill, form, h, heading } from './dom.js';
import { ROUTES } from './routes.js';

const root = document.getElementById('console');

function signedOutView() {
  const signIn = form({
    fields: [
      field({
        label: 'Your organization’s domain',
        name: 'org',
        autocomplete: 'organization',
        required: true,
        hint: 'The short name your company signed up with, as in /login/<domain>.',
      }),
    ],
    submit: 'Sign in',
    onSubmit: async ({ org }) => {
      const domain = String(org ?? '')
        .trim()
        .toLowerCase();
      if (!domain)
        throw {
          message: 'Enter your organization’s domain.',
          fields: [{ field: 'org', problem: 'is required' }],
        };
      window.location.assign(`/login/${encodeURIComponent(domain)}`);
    },
  });
  // With sign-up closed (SIGNUP_MODE, SEC-9) the operator creates organizations: no link to a closed door.
  const signupOpen = root.dataset.signup !== 'closed';
  return [
    heading('Sign in to Canopy'),
    signIn,
    signupOpen &&
      h(
        'p',
        null,
        'New to Canopy? ',
        h('a', { href: '/signup' }, 'Create your organization'),
        ' — it takes a minute.',
      ),
  ].filter(Boolean);
}

function shell(ctx) {
  const progress = h('div', {
    class: 'progress',
    hidden: true,
    role: 'progressbar',
    'aria-label': 'Loading',
  });
  onActivity((active) => {
    // Quick answers never flash a bar; slower ones show that work is under way.
    clearTimeout(progress.timer);
    if (active) progress.timer = setTimeout(() => (progress.hidden = false), 250);
    else progress.hidden = true;
  });
  const nav = h('nav', { class: 'console-nav', 'aria-label': 'Console' });
  const view = h('div', { class: 'console-view', id: 'view' });
  const top = h('div', { class: 'console-top' });
  const drawTop = () =>
    fill(
      top,
      h('span', { class: 'console-org' }, ctx.me.organization.name),
      ctx.me.user
        ? h('a', { href: '#/profile', title: 'Your profile, password and sessions' }, ctx.me.user.name)
        : h('span', { class: 'console-user' }, ''),
      h(
        'button',
        { class: 'button button-secondary button-small', type: 'button', onclick: signOut },
        'Sign out',
      ),
    );
  drawTop();
  // A rename, one's own profile or roles changed (ROLE-6): the bar and the menu follow at once.
  ctx.onRefresh(drawTop);
  const notices = h('div', { id: 'notices', class: 'notices', role: 'status' });
  root.replaceChildren(h('div', { class: 'console-shell' }, top, progress, nav, view, notices));
  return { nav, view };
}

function renderNav(nav, ctx, current) {
  nav.replaceChildren(
    h(
      'ul',
      null,
      ROUTES.filter((r) => r.nav && r.visible(ctx)).map((r) =>
        h(
          'li',
          null,
          h(
            'a',
            { href: `#${r.nav.href}`, 'aria-current': current?.nav === r.nav ? 'page' : undefined },
            r.nav.label,
          ),
        ),
      ),
    ),
  );
}

/** `#/users/42?search=x` → the route it names, its parameters and its query. */
function resolve(hash) {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const parts = (path || '/').split('/').filter(Boolean);
  for (const route of ROUTES) {
    const params = matchPath(route.path.split('/').filter(Boolean), parts);
    if (params) return { route, params, query: new URLSearchParams(search) };
  }
  return undefined;
}

function matchPath(pattern, parts) {
  if (pattern.length !== parts.length) return undefined;
  const params = {};
  for (const [i, p] of pattern.entries()) {
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]);
    else if (p !== parts[i]) return undefined;
  }
  return params;
}

async function route(ctx, ui) {
  ui.generation = (ui.generation ?? 0) + 1;
  const generation = ui.generation;
  ui.view.setAttribute('aria-busy', 'true');
  let content;
  try {
    const found = resolve(window.location.hash); // a malformed %-escape throws here
    if (!found) return ctx.go('/organizations');
    const { route: current, params, query } = found;
    renderNav(ui.nav, ctx, current);
    const module = await current.load();
    content = await module[current.view](ctx, { params, query });
  } catch (err) {
    content = [heading('Something went wrong'), errorBox(err)];
  }
  if (generation !== ui.generation) return; // a newer navigation won
  // After a change the button that had focus is replaced: focus goes to the heading, not to <body>.
  const hadFocus = ui.view.contains(document.activeElement) || document.activeElement === document.body;
  ui.view.removeAttribute('aria-busy');
  fill(ui.view, content);
  ui.view.dataset.rendered = window.location.hash; // which navigation this content answers
  document.title = `${ui.view.querySelector('h1')?.textContent ?? 'Console'} · Canopy`;
  if (ctx.navigated || hadFocus) ui.view.querySelector('h1')?.focus();
  ctx.navigated = false;
}

/**
 * What the address asks on arrival: the answer of a sign-in this tab started (`code` or `error`,
 * both bound to its `state`), or `org` from `/login/<domain>`. Answers true when a redirect began.
 */
async function arrive(params) {
  if (params.has('error')) {
    // Only an answer to our own request may put words on this page; anything else is a crafted link.
    const ours = isPendingState(params.get('state'));
    throw new Error(
      ours ? (params.get('error_description') ?? params.get('error')) : 'The sign-in did not complete.',
    );
  }
  if (params.has('code')) {
    await finishSignIn(params);
    return false;
  }
  const org = params.get('org');
  if (!org) return false;
  if (hasTokens() && signedInOrg() === org) {
    window.history.replaceState(null, '', `/console/${window.location.hash}`);
    return false; // already signed in to that organization in this tab
  }
  await startSignIn(org, '');
  return true;
}

async function run() {
  const params = new URLSearchParams(window.location.search);
  try {
    if (await arrive(params)) return;
    if (!hasTokens()) return root.replaceChildren(...signedOutView());
    const me = await api.get('/me');
    const ctx = createContext(me, signedInOrg());
    const ui = shell(ctx);
    ctx.onChange(() => route(ctx, ui));
    window.addEventListener('hashchange', () => {
      ctx.navigated = true;
      void route(ctx, ui);
    });
    await route(ctx, ui);
  } catch (err) {
    root.replaceChildren(
      heading('Sign-in failed'),
      errorBox(err),
      h('p', null, h('a', { href: '/console/' }, 'Sign in again')),
    );
  }
}

void run();
