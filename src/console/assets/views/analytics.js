// Usage analytics (ANL-1): sign-ins, tokens issued and introspections per UTC day for a node and
// the nodes below it, as charts first (with the same numbers as tables for anyone who cannot see
// them), then by app and environment. The filters live in the hash query.

import { api } from '../api.js';
import { barChart } from '../charts.js';
import { environmentsOf } from '../components/environments-lookup.js';
import { createPrefetch } from '../components/prefetch.js';
import { code, errorBox, field, form, h, heading, hint, section, table } from '../dom.js';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;

const METRICS = [
  { key: 'signInSuccess', label: 'Sign-ins succeeded', one: 'sign-in succeeded', className: 'success' },
  { key: 'signInFailure', label: 'Sign-ins failed', one: 'sign-in failed', className: 'failure' },
  { key: 'tokenIssued', label: 'Tokens issued', one: 'token issued', className: 'tokens' },
  { key: 'introspection', label: 'Introspections', one: 'introspection', className: 'introspection' },
];
const metric = (key) => METRICS.find((m) => m.key === key);

const prefetched = createPrefetch();

const utcDay = (t) => new Date(t).toISOString().slice(0, 10);
/** "Nov 27, 2026" for the UTC day "2026-11-27". */
const longDay = (day) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
const number = (n) => Number(n ?? 0).toLocaleString();

/**
 * The environments of `orgId` whose usage the person may see, when they hold analytics.view only in
 * some of them (ROLE-3); undefined when they hold it on the whole node (every environment, or all).
 */
function allowedEnvironments(ctx, orgId) {
  if (ctx.can('analytics.view', orgId)) return undefined;
  const environments = ctx.nodes.get(orgId)?.environments ?? [];
  return environments.filter((e) => e.permissions.includes('analytics.view')).map((e) => e.id);
}

/** The filters named by the hash query: by default the last 30 UTC days, ending today. */
function filtersOf(ctx, query, nodes) {
  const wanted = query.get('org');
  const org = nodes.some((n) => n.id === wanted) ? wanted : nodes[0].id;
  const to = query.get('to') || utcDay(Date.now());
  const end = Date.parse(to);
  const environment = query.get('environment') ?? '';
  const allowed = allowedEnvironments(ctx, org);
  return {
    org,
    from: query.get('from') || (Number.isNaN(end) ? '' : utcDay(end - (DEFAULT_DAYS - 1) * DAY_MS)),
    to,
    environment: allowed && !allowed.includes(environment) ? allowed[0] : environment,
  };
}

function pathOf(filters) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
  return `/analytics?${query}`;
}

function readReport(filters) {
  return api.get(`/organizations/${encodeURIComponent(filters.org)}/analytics`, {
    from: filters.from,
    to: filters.to,
    environmentId: filters.environment,
  });
}

/**
 * The Environment choices: "All environments" and each of the node's, or only the `allowed` ones
 * (ids; named when the node's list could be read).
 */
function environmentOptions(environments, allowed) {
  const option = (e) => ({ value: e.id, label: `${e.name} (${e.type})` });
  if (!allowed) return [{ value: '', label: 'All environments' }, ...environments.map(option)];
  const byId = new Map(environments.map((e) => [e.id, e]));
  return allowed.map((id) => (byId.has(id) ? option(byId.get(id)) : { value: id, label: id }));
}

const ONLY_SOME = 'Only the environments where you may see usage.';

function totalsTiles(totals) {
  return h(
    'div',
    { class: 'totals' },
    METRICS.map((m) => h('div', { class: 'total' }, h('strong', null, number(totals[m.key])), m.label)),
  );
}

function charts(days) {
  return h(
    'div',
    { class: 'charts' },
    barChart({
      title: 'Sign-ins per day',
      days,
      series: [metric('signInSuccess'), metric('signInFailure')],
      stacked: true,
    }),
    barChart({ title: 'Tokens issued per day', days, series: [metric('tokenIssued')] }),
    barChart({ title: 'Introspections per day', days, series: [metric('introspection')] }),
  );
}

const countColumns = METRICS.map((m) => ({ label: m.label, cell: (row) => number(row[m.key]) }));

/** The per-day numbers behind the charts, for anyone who cannot see them or wants the figures. */
function daysTable(days) {
  return h(
    'details',
    { class: 'chart-numbers' },
    h('summary', null, 'Show the numbers as a table'),
    table({
      caption: 'Usage per day (UTC)',
      columns: [{ label: 'Day (UTC)', cell: (d) => h('time', { datetime: d.day }, d.day) }, ...countColumns],
      rows: days,
    }),
  );
}

/** Names for the ids the rows carry: environments of every node named, apps when they may be read. */
async function namesFor(ctx, report, environments, orgId) {
  const envs = new Map(environments.map((e) => [e.id, e.name]));
  const others = [...new Set(report.rows.map((r) => r.organizationId))].filter((id) => id !== orgId);
  const lists = await Promise.all(others.map(environmentsOf));
  for (const list of lists) for (const e of list) envs.set(e.id, e.name);
  const apps = new Map();
  if (ctx.can('apps.manage') && report.rows.some((r) => r.clientId)) {
    const answer = await api.get('/apps').catch(() => ({ apps: [] }));
    for (const app of answer.apps) apps.set(app.clientId, app.name);
  }
  return { envs, apps };
}

/** The report's rows summed over its days, one per node, environment and app, busiest first. */
function byAppAndEnvironment(rows) {
  const groups = new Map();
  for (const row of rows) {
    const key = `${row.organizationId}|${row.environmentId ?? ''}|${row.clientId ?? ''}`;
    const sum = groups.get(key) ?? {
      organizationId: row.organizationId,
      environmentId: row.environmentId,
      clientId: row.clientId,
      signInSuccess: 0,
      signInFailure: 0,
      tokenIssued: 0,
      introspection: 0,
    };
    for (const m of METRICS) sum[m.key] += row[m.key];
    groups.set(key, sum);
  }
  const total = (g) => METRICS.reduce((s, m) => s + g[m.key], 0);
  return [...groups.values()].sort((a, b) => total(b) - total(a));
}

function breakdownTable(ctx, rows, names) {
  const node = (id) => (ctx.nodes.has(id) ? ctx.pathName(id) : code(id));
  const environment = (id) => (id ? (names.envs.get(id) ?? code(id)) : '—');
  const app = (row) => {
    if (!row.clientId) return row.environmentId ? 'Environment credentials' : 'Organization credentials';
    const name = names.apps.get(row.clientId);
    return name ? [name, ' ', code(row.clientId)] : code(row.clientId);
  };
  return table({
    caption: 'By app and environment',
    columns: [
      { label: 'Node', cell: (r) => node(r.organizationId) },
      { label: 'Environment', cell: (r) => environment(r.environmentId) },
      { label: 'App', cell: app },
      ...countColumns,
    ],
    rows: byAppAndEnvironment(rows),
    empty: 'No app or environment saw any use in this period.',
  });
}

async function reportContent(ctx, filters, report, environments) {
  const days = report.days; // the API answers every day of the range, zeros included
  // One environment is that environment's usage alone; otherwise the node's and its groups'.
  const scope = filters.environment
    ? `${ctx.pathName(filters.org)} · ${environments.find((e) => e.id === filters.environment)?.name ?? filters.environment}`
    : `${ctx.pathName(filters.org)} and the groups below it · All environments`;
  const period = `${longDay(report.from)} to ${longDay(report.to)} (UTC days) · ${scope}`;
  const names = await namesFor(ctx, report, environments, filters.org);
  return [
    hint(period),
    totalsTiles(report.totals),
    charts(days),
    daysTable(days),
    section('By app and environment', breakdownTable(ctx, report.rows, names)),
  ];
}

function filterForm(ctx, nodes, filters, environments) {
  const allowed = allowedEnvironments(ctx, filters.org);
  const envField = field({
    label: 'Environment',
    name: 'environment',
    type: 'select',
    value: filters.environment,
    options: environmentOptions(environments, allowed),
    hint: ONLY_SOME,
  });
  // Emptied as well as hidden: aria-describedby would still read a hidden hint.
  const envHint = envField.querySelector('.hint');
  const explain = (only) => {
    envHint.textContent = only ? ONLY_SOME : '';
    envHint.hidden = !only;
  };
  explain(allowed);
  const orgField = field({
    label: 'Organization',
    name: 'org',
    type: 'select',
    value: filters.org,
    options: nodes.map((n) => ({ value: n.id, label: ctx.pathName(n.id) })),
    hint: 'With the business groups below it.',
  });
  // Each node has its own environments: offer the chosen node's.
  const orgSelect = orgField.querySelector('select');
  const envSelect = envField.querySelector('select');
  orgSelect.addEventListener('change', async () => {
    const orgId = orgSelect.value;
    envSelect.disabled = true;
    const list = await environmentsOf(orgId);
    if (orgSelect.value !== orgId) return; // changed again meanwhile
    const only = allowedEnvironments(ctx, orgId);
    envSelect.replaceChildren(
      ...environmentOptions(list, only).map((o) => h('option', { value: o.value }, o.label)),
    );
    explain(only);
    envSelect.disabled = false;
  });
  return form({
    className: 'filters',
    fields: [
      orgField,
      field({ label: 'From', name: 'from', type: 'date', value: filters.from, hint: 'First day (UTC).' }),
      field({ label: 'To', name: 'to', type: 'date', value: filters.to, hint: 'Last day (UTC), included.' }),
      envField,
    ],
    submit: 'Show usage',
    onSubmit: async (values) => {
      const next = {
        org: values.org,
        from: values.from,
        to: values.to,
        environment: values.environment ?? '',
      };
      prefetched.keep(pathOf(next), await readReport(next));
      ctx.go(pathOf(next));
    },
  });
}

/** `#/analytics?org&from&to&environment`: usage of a node (or of its environments) the person holds analytics.view on. */
export async function analyticsView(ctx, { query }) {
  const nodes = ctx.nodesWithAny('analytics.view');
  if (!nodes.length) {
    return [
      heading('Analytics'),
      hint('You do not hold analytics.view on any organization or environment, so there is nothing to show.'),
    ];
  }
  const filters = filtersOf(ctx, query, nodes);
  const path = pathOf(filters);
  const cached = prefetched.take(path);
  const [environments, outcome] = await Promise.all([
    environmentsOf(filters.org),
    cached
      ? { report: cached }
      : readReport(filters).then(
          (report) => ({ report }),
          (failure) => ({ failure }),
        ),
  ]);
  return [
    heading('Analytics'),
    filterForm(ctx, nodes, filters, environments),
    outcome.report
      ? await reportContent(ctx, filters, outcome.report, environments)
      : errorBox(outcome.failure),
  ];
}
