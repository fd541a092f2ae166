// The audit log (AUD-1, AUD-2): what happened on a node and the nodes below it, newest first,
// filtered by time, action and actor, page by page. The filters live in the hash query, so a reload
// or back/forward shows the same entries.

import { api } from '../api.js';
import { createPrefetch } from '../components/prefetch.js';
import { busy, code, errorBox, field, form, h, heading, hint, section, uid, when } from '../dom.js';

const PAGE_SIZE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const prefetched = createPrefetch();
/** `masterId:userId` → Promise of the username, or null when it cannot be read. */
const usernames = new Map();
/** Actions seen in any page so far: suggestions for the Action filter (the API matches exactly). */
const seenActions = new Set();

/** The filters named by the hash query; an organization the person may not read becomes the first. */
function filtersOf(query, nodes) {
  const org = query.get('org');
  return {
    org: nodes.some((n) => n.id === org) ? org : nodes[0].id,
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    action: query.get('action') ?? '',
    actor: query.get('actor') ?? '',
  };
}

/** `/audit?org=…&from=…`, with only the filters that are set. */
function pathOf(filters) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
  return `/audit?${query}`;
}

/**
 * A date input's day as the instant it starts where the person is, matching the local times the
 * table shows. `To` includes its day, so it becomes the start of the next (the API's `to` excludes).
 * Anything that is not a day goes to the API as it is, for the API to name the problem.
 */
function dayStart(day, next = false) {
  if (!DAY.test(day)) return day;
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
}

function readPage(filters, cursor) {
  return api.get(`/organizations/${encodeURIComponent(filters.org)}/audit-log`, {
    from: dayStart(filters.from),
    to: dayStart(filters.to, true),
    action: filters.action,
    actor: filters.actor,
    limit: PAGE_SIZE,
    cursor,
  });
}

/** Looks up the usernames of the users a page names, where the person may read users (once each). */
async function resolveUsers(ctx, entries) {
  const mayRead = (id) => ctx.can('users.manage') || id === ctx.me.user?.id;
  const ids = new Set();
  for (const e of entries) {
    if (e.actor.type === 'user' && e.actor.id) ids.add(e.actor.id);
    if (e.target?.type === 'user') ids.add(e.target.id);
  }
  const names = new Map();
  await Promise.all(
    [...ids].filter(mayRead).map(async (id) => {
      const key = `${ctx.masterId}:${id}`;
      if (!usernames.has(key)) {
        usernames.set(
          key,
          api.get(`/users/${encodeURIComponent(id)}`).then(
            (user) => user.username,
            () => null,
          ),
        );
      }
      const name = await usernames.get(key);
      if (name) names.set(id, name);
    }),
  );
  return names;
}

const ACTOR_TYPES = {
  user: 'User',
  app: 'App',
  operator: 'Operator',
  anonymous: 'Anonymous',
  system: 'System',
};

/** "User alice", linked to the entries by that actor. */
function actorCell(entry, names, filters) {
  const type = ACTOR_TYPES[entry.actor.type] ?? entry.actor.type;
  const id = entry.actor.id;
  if (!id) return type;
  const shown = names.get(id) ?? id;
  const link = h(
    'a',
    { href: `#${pathOf({ ...filters, actor: id })}`, title: `Only entries by ${shown}` },
    names.has(id) ? shown : code(id),
  );
  return [`${type} `, link];
}

/** "user alice", "business_group Acme › Sales", else the type and id. */
function targetCell(ctx, target, names) {
  if (!target) return '—';
  if (names.has(target.id)) return `${target.type} ${names.get(target.id)}`;
  if (ctx.nodes.has(target.id)) return `${target.type} ${ctx.pathName(target.id)}`;
  return [`${target.type} `, code(target.id)];
}

function nodeCell(ctx, orgId) {
  if (!orgId) return '—';
  // A node the person cannot see (a business group since deleted) keeps its id.
  return ctx.nodes.has(orgId) ? ctx.pathName(orgId) : code(orgId);
}

const json = (value) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));

/** The before/after state of an entry, as text. */
function detailsContent(entry) {
  const states = [
    ['Before', entry.before],
    ['After', entry.after],
  ].filter(([, v]) => v !== null && v !== undefined);
  return h(
    'div',
    { class: 'audit-details-body' },
    h(
      'p',
      { class: 'hint' },
      `Entry ${entry.id} at ${entry.occurredAt}`,
      entry.requestId ? `, request ${entry.requestId}` : '',
      '. Secrets are redacted.',
    ),
    states.length
      ? h(
          'div',
          { class: 'audit-diff' },
          states.map(([label, value]) => h('div', null, h('h3', null, label), json(value))),
        )
      : h('p', null, 'No state before or after was recorded for this entry.'),
  );
}

// Details first: on a phone the table scrolls sideways, and the toggle stays in view with the time.
const COLUMNS = ['Details', 'When', 'Actor', 'Action', 'Target', 'Node', 'Outcome', 'Request id'];

/** An entry's row and its hidden details row, toggled by the Details button. */
function entryRows(ctx, entry, names, filters) {
  const detailsId = uid('audit');
  const details = h(
    'tr',
    { id: detailsId, class: 'audit-details', hidden: true },
    h('td', { colspan: COLUMNS.length }, detailsContent(entry)),
  );
  const toggle = h(
    'button',
    {
      class: 'button button-secondary button-small',
      type: 'button',
      'aria-expanded': 'false',
      'aria-controls': detailsId,
    },
    'Details',
    h('span', { class: 'visually-hidden' }, ` of ${entry.action}, ${when(entry.occurredAt)}`),
  );
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    details.hidden = !open;
  });
  const failed = entry.outcome === 'failure';
  const cells = [
    toggle,
    h('time', { datetime: entry.occurredAt }, when(entry.occurredAt)),
    actorCell(entry, names, filters),
    h(
      'a',
      { href: `#${pathOf({ ...filters, action: entry.action })}`, title: `Only ${entry.action} entries` },
      entry.action,
    ),
    targetCell(ctx, entry.target, names),
    nodeCell(ctx, entry.organizationId),
    h('span', { class: failed ? 'badge badge-warn' : 'badge' }, failed ? 'Failure' : 'Success'),
    // The first part is enough to tell requests apart here; Details and the tooltip have it whole.
    entry.requestId
      ? h('code', { class: 'reference audit-request', title: entry.requestId }, entry.requestId.slice(0, 8))
      : '—',
  ];
  const row = h(
    'tr',
    { class: failed ? 'audit-failure' : undefined },
    cells.map((c) => h('td', null, c)),
  );
  return [row, details];
}

/** The entries, a count, and "Load more" while the API has further pages. */
async function entriesSection(ctx, filters, first) {
  const filtered = Boolean(filters.from || filters.to || filters.action || filters.actor);
  if (!first.entries.length) {
    return section(
      'Entries',
      h('p', { class: 'empty' }, filtered ? 'No entries match these filters.' : 'No entries yet.'),
    );
  }
  const tbody = h('tbody');
  const status = h('p', { class: 'hint', role: 'status', tabindex: '-1' });
  const problem = h('div');
  let shown = 0;
  let cursor = first.nextCursor;

  const more = h('button', { class: 'button button-secondary', type: 'button' }, 'Load more');
  const actions = h('div', { class: 'actions' }, more);
  const describe = (added) => {
    const all = cursor ? '' : shown > PAGE_SIZE ? ' That is all of them.' : '';
    status.textContent = `${added ? `Loaded ${added} more. ` : ''}Showing ${shown} ${shown === 1 ? 'entry' : 'entries'}, newest first.${all}`;
    actions.hidden = !cursor;
  };
  const add = async (page) => {
    for (const e of page.entries) seenActions.add(e.action);
    const names = await resolveUsers(ctx, page.entries);
    tbody.append(...page.entries.flatMap((e) => entryRows(ctx, e, names, filters)));
    shown += page.entries.length;
  };
  more.addEventListener('click', async () => {
    problem.replaceChildren();
    try {
      const page = await busy(more, () => readPage(filters, cursor), 'Loading…');
      cursor = page.nextCursor;
      await add(page);
      describe(page.entries.length);
      // The button goes with the last page: keep the keyboard where the reading continues.
      if (!cursor) status.focus();
    } catch (err) {
      problem.replaceChildren(errorBox(err));
    }
  });

  await add(first);
  describe(0);
  const tableEl = h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Audit log entries' },
    h(
      'table',
      { class: 'audit-table' },
      h('caption', { class: 'visually-hidden' }, 'Audit log entries, newest first'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      tbody,
    ),
  );
  return section('Entries', status, tableEl, problem, cursor ? actions : null);
}

function filterForm(ctx, nodes, filters) {
  const actionsId = uid('actions');
  const suggestions = h(
    'datalist',
    { id: actionsId },
    [...seenActions].sort().map((a) => h('option', { value: a })),
  );
  const filtered = Boolean(filters.from || filters.to || filters.action || filters.actor);
  const clear = filtered
    ? h(
        'button',
        {
          class: 'button button-secondary',
          type: 'button',
          onclick: () => ctx.go(pathOf({ org: filters.org })),
        },
        'Clear filters',
      )
    : null;
  const el = form({
    className: 'filters',
    fields: [
      field({
        label: 'Organization',
        name: 'org',
        type: 'select',
        value: filters.org,
        options: nodes.map((n) => ({ value: n.id, label: ctx.pathName(n.id) })),
        hint: 'With the business groups below it.',
      }),
      field({
        label: 'From',
        name: 'from',
        type: 'date',
        value: filters.from,
        hint: 'From the start of this day.',
      }),
      field({ label: 'To', name: 'to', type: 'date', value: filters.to, hint: 'To the end of this day.' }),
      field({
        label: 'Action',
        name: 'action',
        value: filters.action,
        list: actionsId,
        autocomplete: 'off',
        spellcheck: 'false',
        hint: 'Exact match, e.g. invitation.create.',
      }),
      field({
        label: 'Actor',
        name: 'actor',
        value: filters.actor,
        autocomplete: 'off',
        spellcheck: 'false',
        hint: 'Exact user id or app client ID.',
      }),
    ],
    submit: 'Show entries',
    secondary: clear,
    onSubmit: async (values) => {
      const next = {
        org: values.org,
        from: values.from,
        to: values.to,
        action: values.action.trim(),
        actor: values.actor.trim(),
      };
      prefetched.keep(pathOf(next), await readPage(next));
      ctx.go(pathOf(next));
    },
  });
  el.append(suggestions);
  return el;
}

/** `#/audit?org&from&to&action&actor`: the audit log of a node the person holds audit.view on. */
export async function auditView(ctx, { query }) {
  const nodes = ctx.nodesWith('audit.view');
  if (!nodes.length) {
    return [
      heading('Audit log'),
      hint('You do not hold audit.view on any organization, so there is no log to show.'),
    ];
  }
  const filters = filtersOf(query, nodes);
  const path = pathOf(filters);
  let page = prefetched.take(path);
  let failure;
  if (!page) {
    try {
      page = await readPage(filters);
    } catch (err) {
      failure = err;
    }
  }
  // The entries first: the actions they name become suggestions in the form.
  const entries = page ? await entriesSection(ctx, filters, page) : errorBox(failure);
  return [
    heading('Audit log'),
    hint(
      'Who changed what, and every sign-in and credential read, newest first. Times are in your time zone.',
    ),
    filterForm(ctx, nodes, filters),
    entries,
  ];
}
